"""Everything on disk or in the keyring."""
