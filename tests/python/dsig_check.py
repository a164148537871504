#!/usr/bin/env python3
"""Independent XML-DSig check, backed by signxml (lxml + cryptography, not xmlsec).

Used by tests/keyring.rs for the signature methods that the xmlsec1 of the machine may not
implement (xmlsec1 1.2 has no RSA-PSS): it verifies the enveloped signature that is a child of
the document's root element.

stdin  : one JSON object
  {
    "xml":              "<samlp:Response ...>",                                   (required)
    "cert_pem":         "-----BEGIN CERTIFICATE-----...",                           (required)
    "signature_method": "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"   (required)
  }

stdout : exactly one JSON line
  {"ok": true, "signed_root": "{ns}LocalName"}  or  {"ok": false, "error": "<Class>: <message>"}

exit   : 0 in both cases above, 2 on malformed input.
"""

import json
import sys


def _out(obj, code=0):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def main():
    try:
        req = json.loads(sys.stdin.read())
    except Exception as e:
        _out({"ok": False, "error": f"BadInput: stdin is not JSON: {e}"}, 2)
    for key in ("xml", "cert_pem", "signature_method"):
        if not isinstance(req.get(key), str) or not req.get(key):
            _out({"ok": False, "error": f"BadInput: missing field {key!r}"}, 2)

    from signxml import DigestAlgorithm, SignatureMethod, XMLVerifier
    from signxml.verifier import SignatureConfiguration

    try:
        method = SignatureMethod(req["signature_method"])
    except ValueError as e:
        _out({"ok": False, "error": f"UnknownMethod: {e}"})
    config = SignatureConfiguration(
        signature_methods=frozenset({method}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    )
    try:
        result = XMLVerifier().verify(
            req["xml"].encode("utf-8"),
            x509_cert=req["cert_pem"],
            id_attribute="ID",
            expect_config=config,
        )
    except Exception as e:
        _out({"ok": False, "error": f"{type(e).__name__}: {e}"})
    _out({"ok": True, "signed_root": result.signed_xml.tag})


if __name__ == "__main__":
    main()
