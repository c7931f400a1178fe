"""Publishing a translated clip: a numbered thread, a quote sheet, and a signed provenance manifest.

Pure functions from records to text (and a dict for the manifest); writing the files and the command
line live elsewhere. Verification reads files, because that is its whole job.
"""

from tolmach.publish.keys import fingerprint, load_or_create_key, public_key_bytes
from tolmach.publish.lines import INAUDIBLE, clock, is_inaudible, label
from tolmach.publish.manifest import (
    SCHEMA,
    build_manifest,
    canonical_bytes,
    line_sha256,
    manifest_to_json,
    sign_manifest,
    subtitle_cues,
)
from tolmach.publish.quotes import Quote, markdown_escape, quote_lines, quotes_html, quotes_markdown
from tolmach.publish.thread import build_thread, pack, pick_quote, thread_sections
from tolmach.publish.trust import TrustedKey, parse_key, trust, trusted_keys, untrust
from tolmach.publish.verify import (
    SIGNATURE_CHANGED,
    UNKNOWN_SIGNER,
    VerifyReport,
    check_file,
    parse_manifest,
    read_manifest,
    verify_manifest,
)

__all__ = [
    "INAUDIBLE",
    "SCHEMA",
    "SIGNATURE_CHANGED",
    "UNKNOWN_SIGNER",
    "Quote",
    "TrustedKey",
    "VerifyReport",
    "build_manifest",
    "build_thread",
    "canonical_bytes",
    "check_file",
    "clock",
    "fingerprint",
    "is_inaudible",
    "label",
    "line_sha256",
    "load_or_create_key",
    "manifest_to_json",
    "markdown_escape",
    "pack",
    "parse_key",
    "parse_manifest",
    "pick_quote",
    "public_key_bytes",
    "quote_lines",
    "quotes_html",
    "quotes_markdown",
    "read_manifest",
    "sign_manifest",
    "subtitle_cues",
    "thread_sections",
    "trust",
    "trusted_keys",
    "untrust",
    "verify_manifest",
]
