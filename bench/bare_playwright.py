"""The baseline for `make bench`: launch the same browser, load one page, close. Nothing else."""

import asyncio
import sys

from playwright.async_api import async_playwright

from checker.linkedin.browser import LAUNCH_ARGS


async def main(url: str, executable: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        page = await browser.new_page()
        await page.goto(url)
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
