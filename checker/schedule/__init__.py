"""`schedule install/show/remove`: the check run by the OS's own scheduler.

A systemd user timer, or the crontab where no systemd user manager runs (Linux), a launchd agent
(macOS), a Task Scheduler task (Windows). Kept free of imports: `python -m checker.schedule.launch`
starts a scheduled run on Windows through this package.
"""
