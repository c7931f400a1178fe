"""``tolmach keys``: the signing keys 'tolmach verify' trusts without --key (see publish.trust)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tolmach.cli import HomeOption, app, fail, out
from tolmach.cli.output import Column, JsonOption, Listing, emit
from tolmach.errors import TolmachError

keys_app = typer.Typer(
    no_args_is_help=True,
    help="Signing keys that verify trusts: list, trust, untrust.",
    epilog=(
        "Examples:\n\n  tolmach keys list\n\n"
        "  tolmach keys trust 3f9a0c41d2e87b65a1c0f4e29d7b3c18 --name 'Kyiv desk'"
    ),
)
app.add_typer(keys_app, name="keys")


KEY_COLUMNS = (
    Column("fingerprint", "id"),
    Column("name"),
    Column("trusted since", "id", lambda k: k["added"] or "(own key)"),
    Column("public key", "id", lambda k: k["public_key"] or "(fingerprint only)"),
)


@keys_app.command("list", epilog="Examples:\n\n  tolmach keys list\n\n  tolmach keys list --json")
def keys_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """This archive's own signing key and every key you trust, by fingerprint."""
    from tolmach.archive import default_home
    from tolmach.publish import trusted_keys

    try:
        keys = trusted_keys(home or default_home())
    except TolmachError as e:
        raise fail(e) from None
    rows = [
        {
            "fingerprint": k.fingerprint,
            "name": k.name,
            "added": k.added or None,
            "public_key": k.public_key or None,
        }
        for k in keys
    ]
    empty = "no trusted keys yet: 'tolmach publish --manifest' makes this archive's own"
    emit(Listing("keys", KEY_COLUMNS, rows, empty=empty), as_json)


@keys_app.command(
    "trust",
    epilog=(
        "Examples:\n\n  tolmach keys trust 3f9a0c41d2e87b65a1c0f4e29d7b3c18 --name 'Kyiv desk'\n\n"
        "  tolmach keys trust kyiv-desk.pub"
    ),
)
def keys_trust(
    key: Annotated[
        str,
        typer.Argument(help="Fingerprint, public key (base64) or a file holding one or a PEM public key."),
    ],
    name: Annotated[str, typer.Option(help="Whose key it is, for 'keys list'.")] = "",
    home: HomeOption = None,
) -> None:
    """Trust a signer: verify then accepts manifests it signed. Check the fingerprint with its owner first."""
    from tolmach.archive import default_home
    from tolmach.publish import trust

    try:
        entry, new = trust(home or default_home(), key, name)
    except TolmachError as e:
        raise fail(e) from None
    who = f" ({escape(entry.name)})" if entry.name else ""
    what = "now trusted" if new else "already trusted; left as it was"
    out.print(f"key {entry.fingerprint}{who}: {what}", highlight=False, soft_wrap=True)


@keys_app.command("untrust", epilog="Example:\n\n  tolmach keys untrust 3f9a0c41d2e87b65a1c0f4e29d7b3c18")
def keys_untrust(
    key: Annotated[str, typer.Argument(help="The fingerprint (or public key) of a trusted key.")],
    home: HomeOption = None,
) -> None:
    """Stop trusting a key: verify then reports its manifests as signed by an unknown signer."""
    from tolmach.archive import default_home
    from tolmach.publish import untrust

    try:
        entry = untrust(home or default_home(), key)
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"key {entry.fingerprint}: no longer trusted", highlight=False)
