//! The dev-mode demo e-services (`/demo-sp/euprava`, `/demo-sp/ezdravje`). Their metadata is in
//! `metadata/demo-*.xml`; `ezdravje` signs its requests with `certs-dev/demo-sp-signed.key`.
use super::Demo;
use crate::saml::demo_sp::{accept_response, authn_request_query, DemoLogin};

pub const NAMES: [&str; 2] = ["euprava", "ezdravje"];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("no demo e-service {0}")]
    Unknown(String),
    #[error("demo e-services run only in dev mode")]
    NotDev,
    #[error("{0}")]
    Failed(String),
}

impl Demo {
    fn demo_ids(&self, name: &str) -> Result<(String, String), DemoError> {
        if !self.cfg.dev_mode {
            return Err(DemoError::NotDev);
        }
        if !NAMES.contains(&name) {
            return Err(DemoError::Unknown(name.to_string()));
        }
        let entity_id = format!("{}/demo-sp/{name}", self.cfg.base_url);
        Ok((entity_id.clone(), format!("{entity_id}/acs")))
    }

    /// The AuthnRequest ID and the SSO URL to send the browser to.
    pub fn demo_start(&self, name: &str) -> Result<(String, String), DemoError> {
        let (entity_id, acs) = self.demo_ids(name)?;
        let key = if name == "ezdravje" {
            let path = self.cfg.signing_key.with_file_name("demo-sp-signed.key");
            let pem = std::fs::read(&path)
                .map_err(|e| DemoError::Failed(format!("{}: {e}", path.display())))?;
            Some(
                openssl::pkey::PKey::private_key_from_pem(&pem)
                    .map_err(|e| DemoError::Failed(e.to_string()))?,
            )
        } else {
            None
        };
        let id = self.rng.xml_id();
        let q = authn_request_query(
            &entity_id,
            &acs,
            &self.responder.sso_url(),
            &id,
            self.clock.now(),
            key.as_ref(),
        )
        .map_err(|e| DemoError::Failed(e.to_string()))?;
        Ok((id, format!("{}?{q}", self.responder.sso_url())))
    }

    pub async fn demo_accept(
        &self,
        name: &str,
        saml_response: &str,
        request_id: &str,
    ) -> Result<DemoLogin, DemoError> {
        let (entity_id, acs) = self.demo_ids(name)?;
        let md = self
            .responder
            .idp_metadata()
            .await
            .map_err(DemoError::Failed)?;
        accept_response(&md, &entity_id, &acs, saml_response, request_id)
            .map_err(|e| DemoError::Failed(e.to_string()))
    }
}
