//! Migration m0010 moves logins in progress from the four tables of the previous schema (citizen
//! login transactions with their codes, staff login transactions, phone verifications) into the one
//! pair of flow tables, on SQLite and PostgreSQL: after the upgrade each goes on with the code that
//! was sent before it, and finishes as it would have.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::staff::add_staff;
use common::*;
use migration::MigratorTrait;
use pass_idp::auth::{otp, Secret};
use pass_idp::service::login::{Next, OtpOutcome};
use pass_idp::service::staff::StaffCodeOutcome;
use sea_orm::{ConnectionTrait, Statement};

const CODE: &str = "314159";

fn token_hash(app: &TestApp, token: &str) -> String {
    app.services
        .ports
        .keyed
        .mac_hex("token", &[token.as_bytes()])
        .unwrap()
}

fn code_hash(app: &TestApp, flow_id: &str) -> String {
    otp::hash(&app.services.ports.keyed, flow_id, &Secret::new(CODE)).unwrap()
}

async fn exec(db: &sea_orm::DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) {
    let backend = db.get_database_backend();
    // The statements are written with `?`; PostgreSQL numbers its parameters.
    let sql = if backend == sea_orm::DatabaseBackend::Postgres {
        let mut n = 0;
        sql.chars()
            .map(|c| {
                if c == '?' {
                    n += 1;
                    format!("${n}")
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
    } else {
        sql.to_string()
    };
    db.execute(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
}

async fn count(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_in_progress_survive_the_move_to_flow_tables() {
    for backend in backends() {
        let sp = TestSp::new("upgrade-sp", false);
        let app = TestApp::spawn_with(backend, &[&sp], |_| {}).await;
        app.add_citizen("ana", Some("+38641111222")).await;
        add_staff(&app, "urska", &["officer"]).await;
        let ana = app
            .services
            .citizens
            .citizen_by_username("ana")
            .await
            .unwrap();
        let staff = app
            .services
            .ports
            .store
            .find_staff_login(&pass_idp::domain::ids::Username::parse("urska").unwrap())
            .await
            .unwrap()
            .unwrap()
            .0;
        let db = sea_orm::Database::connect(&app.services.ports.cfg.database_url)
            .await
            .unwrap();
        // Back to the schema before m0010 (m0011 and m0010 reverted; `up` below runs both again).
        migration::Migrator::down(&db, Some(2)).await.unwrap();
        let now = app.services.ports.now_ms();
        let later = now + 600_000;

        // An e-service login whose password step is done and whose first code went out.
        let sso_token = "sso-token-before-upgrade";
        let request = serde_json::json!({
            "request_id": "_req-before-upgrade",
            "sp": sp.entity_id,
            "acs_url": sp.acs_url,
            "relay_state": "rs-1",
            "force_authn": false,
            "target": { "level": "sms_pass", "eidas": false, "exact_uri": null },
            "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            "step_up": false,
        });
        exec(
            &db,
            "INSERT INTO login_transactions (id, token_hash, sp_entity_id, request_json, \
             citizen_id, password_at, created_at, expires_at, completed) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                "tx-sso".into(),
                token_hash(&app, sso_token).into(),
                sp.entity_id.clone().into(),
                request.to_string().into(),
                ana.id.0.clone().into(),
                now.into(),
                now.into(),
                later.into(),
                false.into(),
            ],
        )
        .await;
        exec(
            &db,
            "INSERT INTO otp_challenges (id, login_transaction_id, code_hash, phone, created_at, \
             expires_at, attempts, sends, last_sent_at, spent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                "otp-1".into(),
                "tx-sso".into(),
                code_hash(&app, "tx-sso").into(),
                "+38641111222".into(),
                now.into(),
                later.into(),
                1i32.into(),
                1i32.into(),
                now.into(),
                false.into(),
            ],
        )
        .await;
        // A user-page login that had not reached its password step.
        let account_token = "account-token-before-upgrade";
        let account_request = serde_json::json!({
            "request_id": null, "sp": "urn:pass-idp:account", "acs_url": "",
            "relay_state": null, "force_authn": false,
            "target": { "level": "password", "eidas": false, "exact_uri": null },
            "name_id_format": "", "step_up": false, "account_next": "/account/phone",
        });
        exec(
            &db,
            "INSERT INTO login_transactions (id, token_hash, sp_entity_id, request_json, \
             citizen_id, password_at, created_at, expires_at, completed) \
             VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
            vec![
                "tx-account".into(),
                token_hash(&app, account_token).into(),
                "urn:pass-idp:account".into(),
                account_request.to_string().into(),
                now.into(),
                later.into(),
                false.into(),
            ],
        )
        .await;
        // A staff login waiting for its code.
        let staff_token = "staff-token-before-upgrade";
        exec(
            &db,
            "INSERT INTO staff_login_transactions (id, token_hash, staff_id, password_at, \
             next_path, code_hash, code_expires_at, attempts, sends, last_sent_at, created_at, \
             expires_at, completed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                "tx-staff".into(),
                token_hash(&app, staff_token).into(),
                staff.id.clone().into(),
                now.into(),
                "/office".into(),
                code_hash(&app, "tx-staff").into(),
                later.into(),
                0i32.into(),
                1i32.into(),
                now.into(),
                now.into(),
                later.into(),
                false.into(),
            ],
        )
        .await;
        // A phone change waiting for its code.
        exec(
            &db,
            "INSERT INTO phone_verifications (id, citizen_id, purpose, phone, otp_hash, code_id, \
             created_at, expires_at, attempts, sends, last_sent_at, used_at) \
             VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL)",
            vec![
                "pv-1".into(),
                ana.id.0.clone().into(),
                "change".into(),
                "+38641999888".into(),
                code_hash(&app, "pv-1").into(),
                now.into(),
                later.into(),
                0i32.into(),
                1i32.into(),
                now.into(),
            ],
        )
        .await;

        migration::Migrator::up(&db, None).await.unwrap();
        assert_eq!(count(&db, "auth_flows").await, 4, "{backend:?}");
        assert_eq!(count(&db, "auth_challenges").await, 3, "{backend:?}");

        // The e-service login goes on with the code sent before, one attempt already used.
        let login = app.services.login.pending_login(sso_token).await.unwrap();
        assert!(login.password_done() && !login.is_account_login());
        let wrong = app
            .services
            .login
            .submit_code(&login, "000000", None, None)
            .await
            .unwrap();
        assert!(
            matches!(wrong, OtpOutcome::Wrong { attempts_left: 1 }),
            "{wrong:?}"
        );
        match app
            .services
            .login
            .submit_code(&login, CODE, None, None)
            .await
            .unwrap()
        {
            OtpOutcome::Done(done) => match done.next {
                Next::Post(form) => {
                    assert_eq!(form.acs_url, sp.acs_url);
                    assert_eq!(form.relay_state.as_deref(), Some("rs-1"));
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        // The user-page login is still one, and asks for the password.
        let account = app
            .services
            .login
            .pending_login(account_token)
            .await
            .unwrap();
        assert!(account.is_account_login() && !account.password_done());
        // The staff login finishes with its code at the page it was for.
        let flow = app.services.staff.staff_pending(staff_token).await.unwrap();
        match app
            .services
            .staff
            .staff_submit_code(&flow, CODE, None, None)
            .await
            .unwrap()
        {
            StaffCodeOutcome::Done { next, .. } => assert_eq!(next.as_str(), "/office"),
            other => panic!("{other:?}"),
        }
        // A staff flow is not a citizen login, and the other way round.
        assert!(app.services.login.pending_login(staff_token).await.is_err());
        assert!(app
            .services
            .staff
            .staff_pending(account_token)
            .await
            .is_err());
        // The phone change still waits for its code, to the new number.
        let masked = app
            .services
            .activation
            .pending_phone(&ana, true)
            .await
            .unwrap();
        assert!(masked.is_some_and(|m| m.ends_with("888")));
        app.stop().await;
    }
}
