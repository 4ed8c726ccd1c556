"""What leaves a run: result documents and tables, fleet reports, notifications, metrics, the collector."""
