use super::views::Views;
use crate::service::Services;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub views: Arc<Views>,
}
