"""Writes the SAML fixtures of `federation::saml`'s unit tests: an IdP's metadata and a response
whose assertion it signed (RSA-SHA256, exclusive C14N, as IdPs sign for AWS), valid from
2026-01-01 to 2099-01-01 so that the tests choose the time. Run from this folder with the e2e
virtualenv (signxml, lxml, cryptography): `python make.py`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "tests/e2e/python"))
import test_saml  # noqa: E402

test_saml.instant = lambda offset_seconds=0: "2026-01-01T00:00:00Z" if offset_seconds <= 0 else "2099-01-01T00:00:00Z"
idp = test_saml.IdentityProvider()
Path("metadata.xml").write_text(idp.metadata())
Path("response.xml").write_bytes(test_saml.etree.tostring(idp.response(
    attributes={"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["member", "staff"]})))
