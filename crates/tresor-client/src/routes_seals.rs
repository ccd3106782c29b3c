//! One method per route of sealed entries (`/api/v1/vault/databases/{db}/entries/{entry}/seal…`): read the seals
//! one may, ask for approval, and (as an authorised person) set a seal's state or add authorised persons. A seal
//! is set with a share ([`Client::share_entry`] with `seal`).

use reqwest::Method;
use tresor_api::{AddAuthorizedRequest, SealList, SealView, SetSealRequest, UnsealRequest};

use crate::{Client, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

impl Client {
    /// `GET …/entries/{entry}/seal`: the caller's own seal on the entry and those it is an authorised person of.
    pub async fn entry_seals(&self, db: &str, entry: &str) -> Result<SealList> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "seal"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `POST …/entries/{entry}/seal/request`: asks for approval to open the entry sealed for the caller.
    pub async fn request_unseal(&self, db: &str, entry: &str, reason: &str) -> Result<SealView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "seal", "request"])?;
        let body = UnsealRequest { reason: reason.to_owned() };
        self.send_json(self.request(Method::POST, url).json(&body)).await
    }

    /// `PUT …/entries/{entry}/seals/{user}`: an authorised person sets the state of `user`'s seal.
    pub async fn set_seal(&self, db: &str, entry: &str, user: &str, request: &SetSealRequest) -> Result<SealView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "seals", user])?;
        self.send_json(self.request(Method::PUT, url).json(request)).await
    }

    /// `POST …/entries/{entry}/seals/{user}/authorized`: an authorised person adds authorised persons.
    pub async fn add_seal_authorized(&self, db: &str, entry: &str, user: &str, users: &[String]) -> Result<SealView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "seals", user, "authorized"])?;
        let body = AddAuthorizedRequest { users: users.to_vec() };
        self.send_json(self.request(Method::POST, url).json(&body)).await
    }
}
