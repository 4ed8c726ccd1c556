"""Running accounts: the runner, one account's check, interruptions, shards, demo, doctor."""
