//! XML-schema validation of metadata with libxml2, offline: the schemas are embedded in the binary,
//! written to a private temporary folder and compiled from there (their `schemaLocation`s are local
//! file names), and the document is parsed without network access and without error recovery.
use libxml::parser::{Parser, ParserOptions};
use libxml::schemas::{SchemaParserContext, SchemaValidationContext};

const FILES: &[(&str, &str)] = &[
    ("all-metadata.xsd", include_str!("../xsd/all-metadata.xsd")),
    (
        "saml-schema-metadata-2.0.xsd",
        include_str!("../xsd/saml-schema-metadata-2.0.xsd"),
    ),
    (
        "saml-schema-assertion-2.0.xsd",
        include_str!("../xsd/saml-schema-assertion-2.0.xsd"),
    ),
    (
        "sstc-saml-metadata-ui-v1.0.xsd",
        include_str!("../xsd/sstc-saml-metadata-ui-v1.0.xsd"),
    ),
    (
        "sstc-saml-metadata-algsupport-v1.0.xsd",
        include_str!("../xsd/sstc-saml-metadata-algsupport-v1.0.xsd"),
    ),
    (
        "xmldsig-core-schema.xsd",
        include_str!("../xsd/xmldsig-core-schema.xsd"),
    ),
    ("xenc-schema.xsd", include_str!("../xsd/xenc-schema.xsd")),
    ("xml.xsd", include_str!("../xsd/xml.xsd")),
];

fn describe(errors: Vec<libxml::error::StructuredError>) -> Vec<String> {
    errors
        .into_iter()
        .map(|e| {
            let msg = e.message.unwrap_or_default().trim().to_string();
            match e.line {
                Some(l) if l > 0 => format!("line {l}: {msg}"),
                _ => msg,
            }
        })
        .collect()
}

/// libxml2 sets up its built-in schema types on first use without a lock, and two schema
/// compilations that start together can see them half made ("schemas do not compile"), which would
/// skip a valid e-service. One compilation and validation at a time in the process; metadata is
/// checked when files load or are saved, never per login.
static LIBXML_SCHEMAS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Ok(list of schema errors, empty when valid); Err when the validation itself could not run.
/// The caller has already passed the document through the XML guard (no DTD, size caps).
pub(super) fn validate(xml: &str) -> Result<Vec<String>, String> {
    let _one_at_a_time = match LIBXML_SCHEMAS.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    for (name, text) in FILES {
        std::fs::write(dir.path().join(name), text).map_err(|e| format!("write {name}: {e}"))?;
    }
    let main = dir.path().join("all-metadata.xsd");
    let main = main.to_str().ok_or("temporary path is not UTF-8")?;
    let mut parser_ctx = SchemaParserContext::from_file(main);
    let mut validator = SchemaValidationContext::from_parser(&mut parser_ctx)
        .map_err(|e| format!("schemas do not compile: {}", describe(e).join("; ")))?;
    let opts = ParserOptions {
        recover: false,
        no_net: true,
        no_error: true,
        no_warning: true,
        ..ParserOptions::default()
    };
    let doc = match Parser::default().parse_string_with_options(xml, opts) {
        Ok(d) => d,
        Err(e) => return Ok(vec![format!("libxml2 cannot parse the document: {e:?}")]),
    };
    Ok(match validator.validate_document(&doc) {
        Ok(()) => Vec::new(),
        Err(errors) => describe(errors),
    })
}
