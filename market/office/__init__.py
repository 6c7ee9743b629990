"""The bureau's office settings: rules the bureau configures without a code change."""
