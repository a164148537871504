//! E-service policy files are read into typed values when they load (`Level`, `AttributeKind`): an
//! unknown level, attribute or key, or a value of the wrong type, keeps the e-service out, and the
//! problem names the policy file, the key and the value. The same holds at start and on a reload.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::sp::Req;
use common::*;

const UNKNOWN_SP_SL: &str = "E-storitev, iz katere prihajate, ni povezana s tem sistemom.";

/// (name, policy text, key the problem must name, what else it must say)
const BAD: [(&str, &str, &str, &str); 5] = [
    (
        "lvl",
        "required_level = \"magic\"\n",
        "required_level",
        "magic",
    ),
    (
        "attr",
        "required_level = \"password\"\nattributes = [\"given_name\", \"shoe_size\"]\n",
        "attributes",
        "shoe_size",
    ),
    (
        "later",
        "attributes = [\n  \"email\",\n  \"username\",\n  \"EMAIL\",\n]\n",
        "attributes",
        "line 4",
    ),
    ("unknown", "colour = \"blue\"\n", "colour", "colour"),
    (
        "typed",
        "sign_response = \"yes\"\n",
        "sign_response",
        "line 1",
    ),
];

fn assert_named(app: &TestApp, reg: &pass_idp::saml::registry::SpRegistry) {
    for (name, _, key, detail) in BAD {
        let problem = reg
            .problems
            .iter()
            .find(|p| p.file.ends_with(format!("{name}.xml")))
            .unwrap_or_else(|| panic!("{name}: no problem listed: {:?}", reg.problems));
        let file = app.metadata_dir.join(format!("{name}.policy.toml"));
        for says in [
            file.display().to_string(),
            key.to_string(),
            detail.to_string(),
        ] {
            assert!(
                problem.problem.contains(&says),
                "{name}: {says:?} not in {:?}",
                problem.problem
            );
        }
    }
}

async fn refused_at_sso(app: &TestApp, sp: &TestSp) {
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    assert_eq!(p.status, 403, "{}: {}", sp.name, p.body);
    assert!(p.body.contains(UNKNOWN_SP_SL), "{}: {}", sp.name, p.body);
    assert!(Posted::from_page(&p).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_policy_file_is_refused_when_it_loads_naming_file_and_key() {
    let bad: Vec<TestSp> = BAD
        .iter()
        .map(|(name, policy, _, _)| TestSp::new(name, false).with_policy(policy))
        .collect();
    let good = TestSp::new("good", false)
        .with_policy("required_level = \"password\"\nattributes = [\"username\", \"email\"]\n");
    let mut all: Vec<&TestSp> = bad.iter().collect();
    all.push(&good);
    let app = TestApp::spawn(&all).await;

    let reg = app.services.ports.registry.snapshot();
    assert_eq!(reg.len(), 1, "only the good e-service is served");
    let served = reg.get(&good.entity_id).expect("good is served");
    assert_eq!(
        served.policy.required_level,
        pass_idp::domain::loa::Level::Password
    );
    use pass_idp::domain::release::AttributeKind;
    assert_eq!(
        served.policy.attributes,
        vec![AttributeKind::Username, AttributeKind::Email]
    );
    assert_named(&app, &reg);
    for sp in &bad {
        refused_at_sso(&app, sp).await;
    }

    // A reload (file change, SIGHUP, operator save) applies the same rules.
    std::fs::write(
        app.metadata_dir.join("good.policy.toml"),
        "required_level = \"password\"\nattributes = [\"given_name\", \"shoe_size\"]\n",
    )
    .unwrap();
    let reg = app.services.ports.registry.reload();
    assert!(reg.get(&good.entity_id).is_none());
    let problem = reg
        .problems
        .iter()
        .find(|p| p.file.ends_with("good.xml"))
        .expect("good is listed as a problem");
    assert!(
        problem.problem.contains("good.policy.toml")
            && problem.problem.contains("attributes")
            && problem.problem.contains("shoe_size"),
        "{problem:?}"
    );
    assert_named(&app, &reg);
    refused_at_sso(&app, &good).await;
    app.stop().await;
}
