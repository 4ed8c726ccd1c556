"""A target: something the tool looks for on a page (a button, a switch, a heading), as layers tried
in order: language-independent CSS first, then an ARIA role with its accessible name, a label, a
visible text. The models of `selectors/linkedin.toml`'s targets, and of the targets each entry of
`selectors/settings.toml` becomes; strict, so an unknown key fails loudly.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CssLayer(_Strict):
    css: str = Field(min_length=1)


class RoleLayer(_Strict):
    role: Literal["button", "link", "switch", "checkbox", "heading", "alert", "textbox"]
    name: str | None = None
    exact: bool = False
    """The whole accessible name must be the text: "Sign in" must not match "Sign in with Apple"."""


class LabelLayer(_Strict):
    label: str


class TextLayer(_Strict):
    text: str


LAYER_KINDS = ("css", "role", "label", "text")


def _layer_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return next(kind for kind in LAYER_KINDS if kind in type(value).model_fields)
    if isinstance(value, dict):
        return next((kind for kind in LAYER_KINDS if kind in value), None)
    return None


Layer = Annotated[
    Annotated[CssLayer, Tag("css")]
    | Annotated[RoleLayer, Tag("role")]
    | Annotated[LabelLayer, Tag("label")]
    | Annotated[TextLayer, Tag("text")],
    Discriminator(
        _layer_kind,
        custom_error_type="layer_kind",
        custom_error_message="a layer needs one of the keys css, role, label or text",
    ),
]


class Target(_Strict):
    what: str
    state: Literal["visible", "attached"] = "visible"
    layers: Annotated[list[Layer], Field(min_length=1)]

    @model_validator(mode="after")
    def _language_independent_first(self) -> Target:
        kinds = [isinstance(layer, CssLayer) for layer in self.layers]
        if kinds != sorted(kinds, reverse=True):
            raise ValueError("css layers must come before role, label and text layers")
        return self
