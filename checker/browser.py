"""The old address of `python -m checker.browser` (the browser the tool would use), which scripts
written before the tool's folders run; the code is in checker/linkedin/browser.py."""

if __name__ == "__main__":
    import runpy

    runpy.run_module("checker.linkedin.browser", run_name="__main__", alter_sys=True)
