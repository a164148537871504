//! What every handler is handed: the use cases it may call, the configuration, the views. The
//! ports (store, registry, clock, keys) are not here: the web layer reaches them only through a use
//! case.
use super::views::Views;
use crate::config::Config;
use crate::service::{
    Account, Activation, Audit, Catalog, Demo, Login, Office, Ops, Services, SpAdmin, Staff,
};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub cfg: Arc<Config>,
    pub login: Login,
    pub account: Account,
    pub activation: Activation,
    pub office: Office,
    pub sp_admin: SpAdmin,
    pub staff: Staff,
    pub audit: Audit,
    pub catalog: Catalog,
    pub ops: Ops,
    pub demo: Demo,
    pub views: Arc<Views>,
}

impl AppState {
    /// The web layer's share of the services.
    pub fn new(s: &Services, views: Views) -> AppState {
        AppState {
            cfg: s.ports.cfg.clone(),
            login: s.login.clone(),
            account: s.account.clone(),
            activation: s.activation.clone(),
            office: s.office.clone(),
            sp_admin: s.sp_admin.clone(),
            staff: s.staff.clone(),
            audit: s.audit.clone(),
            catalog: s.catalog.clone(),
            ops: s.ops.clone(),
            demo: s.demo.clone(),
            views: Arc::new(views),
        }
    }
}
