"""LinkedIn's Data Processing Objection Request form (`/help/linkedin/ask/TS-DPRO`), for members only,
and its confirmation with a case number.

Modelled on what public sources say of it; its markup is not described anywhere public, so the
attributes here are the fixture's own. The sources:
- legalclarity.org, "How to Fill Out and Submit the LinkedIn Data Processing Objection Form" (2026):
  the address, and a short form: name, email, the type of objection; choosing "Other" asks for more.
- avvocatobruschi.it, "LinkedIn e intelligenza artificiale: dal 3 novembre..." (Nov 2025): a
  drop-down whose option objects to processing for training AI models that create content; no
  reason is required.
- particle.news (Oct 2025), on the Garante's statement of 2025-10-30: the form's process ends with a
  confirmation (also sent by email).
- Lifehacker (Sep 2024, via sipoch.com), neuron.expert (Sep 2024): the form of 2024 objected to, or
  restricted, processing for "non-content generating GAI models" only (the setting then covered the
  content-creating ones, and Europe was not trained on): the `2024` form, whose members object to
  content-creation training under "Other".
Regulators sending members to object (the setting and the form): the ICO's statement of 2025-09-23,
the Autoriteit Persoonsgegevens (security.nl, 2025-09-24), the Garante (bitcity.it, 2025-10-30), the
CNPD (cnpd.public.lu, Oct 2025, under GDPR Article 21); in Belgium, Test Achats' complaint to the
APD/GBA about the form going unanswered (security.nl, 2025).

`objection_form` picks the form: `2025` (today's), `2024`, or `redesigned`, a form of other markup
that the tool must not recognise. With `person_submits_objection`, the page carries the member's hand:
once every field shows a value, it presses Submit, marking the request as theirs, as
the hands of person.py type on the login page.
"""

from __future__ import annotations

from checker.fixture_site.exchange import Request, Response, Route, html_page, member
from checker.fixture_site.model import Account
from checker.fixture_site.state import SiteState
from checker.fixture_site.templates import Html, escape, join, tag, templates

PATH = "/help/linkedin/ask/TS-DPRO"

CONTENT_TRAINING = "GAI_CONTENT_TRAINING"
NON_CONTENT = "NON_CONTENT_GAI"
OTHER = "OTHER"
PERSON_MARK = "pressedByMember"
"""The field the member's hand adds as it presses Submit: a request without it was sent by the tool."""

# The form's words; German and Spanish pages show the English ones (no source gives theirs).
_WORDS = {
    "en": {
        "title": "Data Processing Objection Request",
        "name": "Full name",
        "email": "Email address",
        "type": "Type of objection",
        "choose": "Select an option",
        CONTENT_TRAINING: "Object to processing for training content-generating AI models",
        NON_CONTENT: "Object to or restrict processing for training non-content generating GAI models",
        OTHER: "Other",
        "details": "Additional details (optional)",
        "other": "Please describe your objection",
        "submit": "Submit",
        "missing": "Please fill in every required field.",
        "received": "Thanks, we've received your request",
        "case": "Case number:",
    },
    "fr": {
        "title": "Demande d'opposition au traitement des données",
        "name": "Nom complet",
        "email": "Adresse e-mail",
        "type": "Type d'opposition",
        "choose": "Sélectionnez une option",
        CONTENT_TRAINING: "Opposition au traitement pour l'entraînement des modèles d'IA générant du contenu",
        NON_CONTENT: "Opposition ou limitation du traitement pour les modèles d'IA sans création de contenu",
        OTHER: "Autre",
        "details": "Informations complémentaires (facultatif)",
        "other": "Décrivez votre opposition",
        "submit": "Envoyer",
        "missing": "Veuillez remplir tous les champs obligatoires.",
        "received": "Merci, nous avons bien reçu votre demande",
        "case": "Numéro de dossier :",
    },
}
_TYPES = {"2025": (CONTENT_TRAINING, NON_CONTENT, OTHER), "2024": (NON_CONTENT, OTHER)}

# Shows the follow-up field while "Other" is chosen, as the form does.
_OTHER_FOLLOW_UP = """<script>
  (() => {
    const type = document.getElementById("dpro-type");
    const follow = () => { document.getElementById("dpro-other").hidden = type.value !== "OTHER"; };
    type.addEventListener("input", follow);
    type.addEventListener("change", follow);
    follow();
  })();
</script>"""

# The member at the window: once every field shown holds a value, they press Submit (once).
_PERSON_PRESSES = """<script>
  (() => {
    const form = document.querySelector("main form");
    const shown = (field) => field.type !== "hidden" && !field.closest("[hidden]");
    let pressed = false;
    const read = () => {
      const fields = [...form.querySelectorAll("input, select, textarea")].filter(shown);
      if (pressed || !fields.every((field) => field.value.trim() !== "")) return;
      pressed = true;
      const mark = Object.assign(document.createElement("input"), {type: "hidden", name: "MARK", value: "1"});
      form.append(mark);
      form.querySelector("button[type=submit]").click();
    };
    form.addEventListener("input", read);
    form.addEventListener("change", read);
  })();
</script>""".replace("MARK", PERSON_MARK)


def _words(language: str) -> dict[str, str]:
    return _WORDS.get(language, _WORDS["en"])


def _field(label: str, element: str, field_id: str, name: str, **attributes: str) -> Html:
    """A labelled control: an input, a select (its options in `content`) or a text area."""
    content = escape(attributes.pop("content", ""))
    # Written out: `tag` takes the element's name as its own `name`.
    extra = "".join(f' {key}="{escape(value)}"' for key, value in attributes.items())
    control = Html(f'<{element} id="{field_id}" name="{escape(name)}"{extra}>{content}</{element}>')
    return join([tag("label", label, for_=field_id), control])


def _form(site: SiteState, account: Account, *, error: bool = False) -> bytes:
    variant, language = site.objection_form, account.language
    w = _words(language)
    if variant == "redesigned":
        body = _redesigned(w)
    else:
        options = join(
            [tag("option", w["choose"], value=""), *(tag("option", w[t], value=t) for t in _TYPES[variant])]
        )
        parts = [
            tag("div", w["missing"], role="alert") if error else Html(""),
            _field(w["name"], "input", "dpro-name", "name", autocomplete="name"),
            _field(w["email"], "input", "dpro-email", "email", type="email", autocomplete="email"),
            _field(w["type"], "select", "dpro-type", "objectionType", content=options),
        ]
        if variant == "2025":
            parts.append(_field(w["details"], "textarea", "dpro-details", "details"))
        other = _field(w["other"], "textarea", "dpro-other-details", "otherDetails")
        parts += [tag("div", other, id="dpro-other", hidden=True), tag("button", w["submit"], type="submit")]
        form = tag("form", join(parts), id="dpro-form", method="post", action=PATH, data_form_id="TS-DPRO")
        body = join([tag("main", join([tag("h1", w["title"]), form])), Html(_OTHER_FOLLOW_UP)])
    if site.person_submits_objection:
        body = join([body, Html(_PERSON_PRESSES)])
    return templates().document(language, w["title"], body)


def _redesigned(w: dict[str, str]) -> Html:
    """The same questions in markup the rules do not know: generated names, a custom list box."""
    listbox = tag("div", join(tag("div", w[t], role="option") for t in _TYPES["2025"]), role="listbox")
    parts = [
        _field(w["name"], "input", "f-91a", "f_91a"),
        _field(w["email"], "input", "f-91b", "f_91b"),
        tag("div", join([tag("span", w["type"]), listbox])),
        tag("button", w["submit"], type="button"),
    ]
    return tag("main", join([tag("h1", w["title"]), tag("form", join(parts), action=PATH)]))


def _confirmation(account: Account, reference: str) -> bytes:
    w = _words(account.language)
    case = join([escape(w["case"]), tag("span", reference, data_test_id="dpro-case-number")], " ")
    section = tag(
        "section", join([tag("h1", w["received"]), tag("p", case)]), data_test_id="dpro-confirmation"
    )
    return templates().document(account.language, w["title"], tag("main", section))


@member
def _show(site: SiteState, request: Request, account: Account) -> Response:
    return html_page(_form(site, account))


@member
def _submit(site: SiteState, request: Request, account: Account) -> Response:
    fields = request.form
    by_person = fields.pop(PERSON_MARK, "") == "1"
    kind = fields.get("objectionType", "")
    complete = (
        site.objection_form in _TYPES
        and all(fields.get(name, "").strip() for name in ("name", "email"))
        and kind in _TYPES[site.objection_form]
        and (kind != OTHER or fields.get("otherDetails", "").strip())
    )
    if not complete:
        return html_page(_form(site, account, error=True))
    received = site.receive_objection(account.email, fields, by_person)
    return html_page(_confirmation(account, received.reference))


ROUTES: dict[tuple[str, str], Route] = {("GET", PATH): _show, ("POST", PATH): _submit}
