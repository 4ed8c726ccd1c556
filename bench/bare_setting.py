"""The second floor of `make bench`: the same work as a check of one setting with a saved session,
and nothing else. Launch the browser, open the setting's page with the session's cookies, read its
switch, close. No keyring, no files, no sign-in logic: no check can do less."""

import asyncio
import json
import sys

from playwright.async_api import async_playwright

from checker.linkedin.browser import LAUNCH_ARGS

SWITCH = "input[role='switch'][aria-labelledby='allowDataForGenerativeAI']"


async def main(url: str, executable: str, cookies: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        context = await browser.new_context(storage_state={"cookies": json.loads(cookies), "origins": []})
        page = await context.new_page()
        await page.goto(url)
        switch = page.locator(SWITCH)
        await switch.wait_for(state="attached")
        print("on" if await switch.is_checked() else "off")
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
