"""The member in person, for the tests of a person in the loop: their hands on the login page, and
their phone, which approves sign-ins in the LinkedIn app.

Neither is LinkedIn: they stand for what a person does in the tool's visible browser while the tool
only waits (`accounts login`, `check --interactive`). The site's own pages carry it out, so that no
test reaches into the tool's browser. The login page types what the hands were given and presses
Sign in, as a person would; the app-approval page asks the site until the phone has approved, then
goes on, as LinkedIn's own page does.
"""

from __future__ import annotations

import threading

from checker.fixture_site.templates import script_json

# How long the hands take before typing: the page has loaded by then, as it has for a person.
_TYPING_DELAY_MS = 200

_TYPE_AND_SUBMIT = """<script>
  // The person at the keyboard: types into the fields of the classic login page, presses Sign in.
  (() => {
    const typed = JSON.parse(document.getElementById("person-typing").textContent);
    window.addEventListener("load", () => setTimeout(() => {
      document.querySelector("input[name=session_key]").value = typed.email;
      document.querySelector("input[name=session_password]").value = typed.password;
      document.querySelector("form.login__form").requestSubmit();
    }, typed.delayMs));
  })();
</script>
"""


def _key(email: str) -> str:
    return email.strip().lower()


class Person:
    """What the member does by hand; tests set it up, the site's pages act it out."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._typing: tuple[str, str] | None = None
        self._notified: dict[str, str] = {}  # challenge token -> email, on the phone, not yet approved
        self._approved: set[str] = set()
        self._approvals: list[str] = []

    # -- hands ----------------------------------------------------------------------------

    def will_type(self, email: str, password: str) -> None:
        """On the next login page the site shows, type `email` and `password` and press Sign in."""
        with self._changed:
            self._typing = (email, password)

    def typing_into(self, page: bytes) -> bytes:
        """`page` (the classic login page), with the person's typing in it when some is due; once."""
        with self._changed:
            typing, self._typing = self._typing, None
        if typing is None:
            return page
        email, password = typing
        typed = script_json({"email": email, "password": password, "delayMs": _TYPING_DELAY_MS})
        state = f'<script type="application/json" id="person-typing">{typed}</script>\n'
        return page.replace(b"</body>", (state + _TYPE_AND_SUBMIT).encode() + b"</body>", 1)

    # -- phone ----------------------------------------------------------------------------

    def notified(self, token: str, email: str) -> bool:
        """The app's notification for the app-approval challenge `token`, as the waiting page asks
        about it: True, once, when the person has approved it."""
        with self._changed:
            if token in self._approved:
                self._approved.discard(token)
                return True
            if token not in self._notified:
                self._notified[token] = email
                self._changed.notify_all()
            return False

    def approve_in_app(self, email: str, timeout: float) -> bool:
        """Tap Yes in the app: wait up to `timeout` seconds for a notification for `email`, approve it,
        and return True; False when none came."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._pending(email), timeout):
                return False
            for token in self._pending(email):
                del self._notified[token]
                self._approved.add(token)
                self._approvals.append(email)
            return True

    @property
    def approvals(self) -> list[str]:
        """The emails of the sign-ins approved in the app, in order."""
        with self._changed:
            return list(self._approvals)

    def _pending(self, email: str) -> list[str]:
        return [token for token, owner in self._notified.items() if _key(owner) == _key(email)]
