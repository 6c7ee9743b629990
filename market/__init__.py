"""The marketplace domain and its storage: organisations, needs (发榜), batches (榜单), responses (揭榜),
deals, recognitions (首台（套）…), targets, audit log and the search outbox."""
