use super::entity::{citizen, credential};
use super::{audit, is_unique_violation, StorageError, Store};
use crate::audit::AuditEvent;
use crate::domain::citizen::{Address, Citizen};
use crate::domain::ids::{CitizenId, PhoneNumber, Username};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set, TransactionTrait,
};

pub struct NewCitizen {
    pub id: CitizenId,
    pub username: Username,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub address: Option<Address>,
}

pub(super) fn to_domain(m: citizen::Model) -> Result<Citizen, StorageError> {
    let username = Username::parse(&m.username)
        .map_err(|_| StorageError::Corrupt(format!("username of {}", m.id)))?;
    let smspass = super::activation::state_of(&m)?;
    let address = match (m.address_street, m.address_postcode, m.address_city) {
        (Some(street), Some(postcode), Some(city)) => Some(Address {
            street,
            postcode,
            city,
        }),
        _ => None,
    };
    Ok(Citizen {
        id: CitizenId(m.id),
        username,
        given_name: m.given_name,
        family_name: m.family_name,
        email: m.email,
        smspass,
        locked: m.locked,
        email_verified: m.email_verified_at.is_some(),
        address,
    })
}

impl Store {
    pub async fn create_citizen(
        &self,
        c: &NewCitizen,
        password_hash: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<Citizen, StorageError> {
        let txn = self.db.begin().await?;
        let model = citizen::ActiveModel {
            id: Set(c.id.0.clone()),
            username: Set(c.username.as_str().to_string()),
            given_name: Set(c.given_name.clone()),
            family_name: Set(c.family_name.clone()),
            email: Set(c.email.clone()),
            smspass_state: Set("not_requested".into()),
            phone: Set(None),
            locked: Set(false),
            created_at: Set(now_ms),
            email_verified_at: Set(None),
            address_street: Set(c.address.as_ref().map(|a| a.street.clone())),
            address_postcode: Set(c.address.as_ref().map(|a| a.postcode.clone())),
            address_city: Set(c.address.as_ref().map(|a| a.city.clone())),
            smspass_request_id: Set(None),
            smspass_path: Set(None),
            smspass_changed_at: Set(None),
            smspass_reason: Set(None),
            search_name: Set(Some(migration::search_text(&[
                &c.given_name,
                &c.family_name,
                c.username.as_str(),
            ]))),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StorageError::Conflict(format!("username {}", c.username))
            } else {
                StorageError::from(e)
            }
        })?;
        credential::ActiveModel {
            citizen_id: Set(c.id.0.clone()),
            password_hash: Set(password_hash.to_string()),
            updated_at: Set(now_ms),
        }
        .insert(&txn)
        .await?;
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        to_domain(model)
    }

    /// The citizen and the stored password hash.
    pub async fn find_login(
        &self,
        username: &Username,
    ) -> Result<Option<(Citizen, String)>, StorageError> {
        let Some(c) = citizen::Entity::find()
            .filter(citizen::Column::Username.eq(username.as_str()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let hash = credential::Entity::find_by_id(c.id.clone())
            .one(&self.db)
            .await?
            .map(|m| m.password_hash)
            .ok_or_else(|| StorageError::Corrupt(format!("no credential for {}", c.id)))?;
        Ok(Some((to_domain(c)?, hash)))
    }

    pub async fn find_citizen(&self, username: &Username) -> Result<Option<Citizen>, StorageError> {
        citizen::Entity::find()
            .filter(citizen::Column::Username.eq(username.as_str()))
            .one(&self.db)
            .await?
            .map(to_domain)
            .transpose()
    }

    pub async fn get_citizen(&self, id: &str) -> Result<Option<Citizen>, StorageError> {
        citizen::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .map(to_domain)
            .transpose()
    }

    async fn update_citizen<F>(
        &self,
        id: &str,
        now_ms: i64,
        ev: &AuditEvent,
        f: F,
    ) -> Result<Citizen, StorageError>
    where
        F: FnOnce(&mut citizen::ActiveModel),
    {
        let txn = self.db.begin().await?;
        let m = citizen::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or_else(|| StorageError::NotFound(format!("citizen {id}")))?;
        let mut am = m.into_active_model();
        f(&mut am);
        let m = am.update(&txn).await?;
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        to_domain(m)
    }

    /// Registers the smsPASS phone and makes smsPASS active (administrative path).
    pub async fn set_phone(
        &self,
        id: &str,
        phone: &PhoneNumber,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<Citizen, StorageError> {
        let phone = phone.as_str().to_string();
        self.update_citizen(id, now_ms, ev, move |am| {
            am.phone = Set(Some(phone));
            am.smspass_state = Set("active".into());
            am.smspass_request_id = Set(None);
            am.smspass_path = Set(None);
            am.smspass_changed_at = Set(Some(now_ms));
        })
        .await
    }

    /// Records that the citizen confirmed the e-mail address (from a verification link).
    pub async fn set_email_verified(
        &self,
        id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<Citizen, StorageError> {
        self.update_citizen(id, now_ms, ev, move |am| {
            am.email_verified_at = Set(Some(now_ms))
        })
        .await
    }

    pub async fn set_locked(
        &self,
        id: &str,
        locked: bool,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<Citizen, StorageError> {
        self.update_citizen(id, now_ms, ev, move |am| am.locked = Set(locked))
            .await
    }

    pub async fn set_password_hash(
        &self,
        id: &str,
        hash: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let txn = self.db.begin().await?;
        let m = credential::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or_else(|| StorageError::NotFound(format!("credential {id}")))?;
        let mut am = m.into_active_model();
        am.password_hash = Set(hash.to_string());
        am.updated_at = Set(now_ms);
        am.update(&txn).await?;
        audit::write(&txn, ev, now_ms).await?;
        txn.commit().await?;
        Ok(())
    }
}
