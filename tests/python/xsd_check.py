#!/usr/bin/env python3
"""Validate one SAML 2.0 XML document against the OASIS SAML 2.0 XML schemas.

stdin  : the XML document (UTF-8; not base64)
stdout : one JSON line: {"ok": true, "schema": "<xsd file>", "root": "{ns}local"}
                     or {"ok": false, "error": "..."}
exit   : 0 for a verdict (valid or not), 2 when stdin is empty.

The root element picks the schema:
  urn:oasis:names:tc:SAML:2.0:protocol  (samlp:Response, samlp:AuthnRequest, samlp:LogoutRequest, ...)
                                          -> saml-schema-protocol-2.0.xsd
  urn:oasis:names:tc:SAML:2.0:assertion (saml:Assertion, saml:EncryptedAssertion)
                                          -> saml-schema-assertion-2.0.xsd
  urn:oasis:names:tc:SAML:2.0:metadata  (md:EntityDescriptor, md:EntitiesDescriptor)
                                          -> saml-schema-metadata-2.0.xsd
The schemas are the copies that pysaml2 ships in saml2/data/schemas (the OASIS files plus
xmldsig-core, xenc, xml.xsd, and the metadata extensions pysaml2 knows: mdui, mdattr, alg support,
eIDAS, ...). Every import is mapped to a local file and xmlschema runs with allow="sandbox" and
no fallback, so nothing is fetched from the network.
"""

import json
import os
import sys
from importlib.resources import files as resource_files

NS_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_METADATA = "urn:oasis:names:tc:SAML:2.0:metadata"

ROOT_SCHEMA = {
    NS_PROTOCOL: "saml-schema-protocol-2.0.xsd",
    NS_ASSERTION: "saml-schema-assertion-2.0.xsd",
    NS_METADATA: "saml-schema-metadata-2.0.xsd",
}

# namespace -> local schema file (all under saml2/data/schemas)
LOCATIONS = {
    "http://www.w3.org/XML/1998/namespace": "xml.xsd",
    "http://www.w3.org/2000/09/xmldsig#": "xmldsig-core-schema.xsd",
    "http://www.w3.org/2001/04/xmlenc#": "xenc-schema.xsd",
    "http://www.w3.org/2009/xmlenc11#": "xenc-schema-11.xsd",
    NS_ASSERTION: "saml-schema-assertion-2.0.xsd",
    NS_PROTOCOL: "saml-schema-protocol-2.0.xsd",
    NS_METADATA: "saml-schema-metadata-2.0.xsd",
    # metadata extensions an IdP commonly puts under md:Extensions (lax there, but typed if present)
    "urn:oasis:names:tc:SAML:metadata:ui": "sstc-saml-metadata-ui-v1.0.xsd",
    "urn:oasis:names:tc:SAML:metadata:attribute": "sstc-metadata-attr.xsd",
    "urn:oasis:names:tc:SAML:metadata:algsupport": "sstc-saml-metadata-algsupport-v1.0.xsd",
    "http://eidas.europa.eu/saml-extensions": "eidas-schema-saml-extensions.xsd",
}


def _out(obj, code=0):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def _schema_dir():
    import saml2.data.schemas as pkg

    return str(resource_files(pkg))


def build_schema(root_ns):
    import xmlschema

    d = _schema_dir()
    locations = {}
    for ns, fname in LOCATIONS.items():
        p = os.path.join(d, fname)
        if os.path.exists(p):
            locations[ns] = p
    source = os.path.join(d, ROOT_SCHEMA[root_ns])
    return xmlschema.XMLSchema(
        source,
        validation="strict",
        locations=locations,
        base_url=d,
        allow="sandbox",
        use_fallback=False,
    ), ROOT_SCHEMA[root_ns]


def main():
    data = sys.stdin.buffer.read()
    if not data.strip():
        _out({"ok": False, "error": "BadInput: empty stdin"}, 2)

    from defusedxml import ElementTree as SafeET

    try:
        root = SafeET.fromstring(data)
    except Exception as e:
        _out({"ok": False, "error": f"NotWellFormed: {type(e).__name__}: {e}"})

    tag = root.tag
    ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    if ns not in ROOT_SCHEMA:
        _out({"ok": False, "error": f"UnknownRoot: no SAML 2.0 schema for root element {tag}"})

    try:
        schema, schema_name = build_schema(ns)
    except Exception as e:  # a broken schema set is an environment problem, not a verdict
        _out({"ok": False, "error": f"SchemaLoadError: {type(e).__name__}: {e}"}, 2)

    errors = list(schema.iter_errors(root))
    if errors:
        first = errors[0]
        path = getattr(first, "path", None)
        reason = getattr(first, "reason", None) or str(first).splitlines()[0]
        msg = f"{type(first).__name__}: {reason}"
        if path:
            msg += f" (at {path})"
        if len(errors) > 1:
            msg += f" [+{len(errors) - 1} more]"
        _out({"ok": False, "error": msg, "schema": schema_name, "root": tag})
    _out({"ok": True, "schema": schema_name, "root": tag})


if __name__ == "__main__":
    main()
