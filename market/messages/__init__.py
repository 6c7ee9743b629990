"""对接沟通: the private thread between an enterprise and a provider on a response."""
