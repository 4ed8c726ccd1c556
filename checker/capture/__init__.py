"""Evidence of a check, recordings of the site, and scrubbing what leaves the machine."""
