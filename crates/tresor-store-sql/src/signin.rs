//! [`SqlStore`] as the core's [`SigninStore`] port: failed-login counters, password history, authenticator
//! enrolments and recovery codes, second-factor challenges and trusted devices.

use std::net::IpAddr;
use std::str::FromStr;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;
use tresor_core::session::{ClientKind, SessionRecord};
use tresor_core::signin::store::{
    ChallengeKind, FailureCount, LoginChallenge, RecoveryOutcome, SigninStore, TotpEnrolment,
};
use tresor_core::{StoreError, Timestamp, UserId};

use crate::SqlStore;
use crate::error::{GENERIC, Names, corrupt};

const CHALLENGE: Names = Names { duplicate: "a challenge with this token", missing: "user" };
const DEVICE: Names = Names { duplicate: "a trusted device with this token", missing: "user" };
const ENROLMENT: Names = Names { duplicate: "an enrolment", missing: "user" };

/// How long the counter of a name that is no account is kept after its last failure.
const UNKNOWN_NAME_FAILURES_KEPT_MS: i64 = 24 * 3600 * 1000;

fn user_id(row: &AnyRow, table: &str, column: &str) -> Result<UserId, StoreError> {
    let raw: String = row.try_get(column).map_err(|_| corrupt(table, column, "?"))?;
    UserId::from_str(&raw).map_err(|_| corrupt(table, column, &raw))
}

fn hash_of(row: &AnyRow, table: &str, column: &str) -> Result<[u8; 32], StoreError> {
    let raw: String = row.try_get(column).map_err(|_| corrupt(table, column, "?"))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(&raw, &mut out).map_err(|_| corrupt(table, column, "?"))?;
    Ok(out)
}

fn challenge(row: &AnyRow) -> Result<LoginChallenge, StoreError> {
    const T: &str = "login_challenges";
    let bad = |c: &str| corrupt(T, c, "?");
    let kind: String = row.try_get("kind").map_err(|_| bad("kind"))?;
    let code_hash: Option<String> = row.try_get("code_hash").map_err(|_| bad("code_hash"))?;
    let code_hash = match code_hash {
        Some(h) => {
            let mut out = [0u8; 32];
            hex::decode_to_slice(&h, &mut out).map_err(|_| bad("code_hash"))?;
            Some(out)
        }
        None => None,
    };
    let client: String = row.try_get("client").map_err(|_| bad("client"))?;
    let address: String = row.try_get("address").map_err(|_| bad("address"))?;
    let attempts: i64 = row.try_get("attempts").map_err(|_| bad("attempts"))?;
    Ok(LoginChallenge {
        token_hash: hash_of(row, T, "token_hash")?,
        user: user_id(row, T, "user_id")?,
        kind: ChallengeKind::parse(&kind).ok_or_else(|| bad("kind"))?,
        code_hash,
        sealed_secret: row.try_get::<Option<Vec<u8>>, _>("sealed_secret").map_err(|_| bad("sealed_secret"))?,
        client: ClientKind::parse(&client).ok_or_else(|| bad("client"))?,
        address: IpAddr::from_str(&address).map_err(|_| bad("address"))?,
        created_at: Timestamp::from_millis(row.try_get("created_at").map_err(|_| bad("created_at"))?),
        expires_at: Timestamp::from_millis(row.try_get("expires_at").map_err(|_| bad("expires_at"))?),
        attempts: u32::try_from(attempts).map_err(|_| bad("attempts"))?,
    })
}

#[async_trait]
impl SigninStore for SqlStore {
    async fn record_login_failure(
        &self,
        account_key: &str,
        user: Option<UserId>,
        limit: u32,
        at: Timestamp,
    ) -> Result<FailureCount, StoreError> {
        let mut tx = self.begin_write().await?;
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (account_key, failures, last_failed_at) VALUES ($1, 1, $2) \
             ON CONFLICT (account_key) DO UPDATE SET failures = login_failures.failures + 1, \
             last_failed_at = excluded.last_failed_at RETURNING failures",
        )
        .bind(account_key)
        .bind(at.as_millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(self.fail(GENERIC))?;
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        let mut deactivated_now = false;
        if let Some(user) = user
            && limit > 0
            && failures >= limit
        {
            let changed = sqlx::query(
                "UPDATE users SET deactivated = 1, updated_at = $2 WHERE id = $1 AND deactivated = 0 \
                 AND kind = 'user'",
            )
            .bind(user.to_string())
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(self.fail(GENERIC))?;
            deactivated_now = changed.rows_affected() > 0;
        }
        tx.commit().await.map_err(self.fail(GENERIC))?;
        Ok(FailureCount { failures, deactivated_now })
    }

    async fn login_failures(&self, account_key: &str) -> Result<u32, StoreError> {
        let n: Option<i64> = sqlx::query_scalar("SELECT failures FROM login_failures WHERE account_key = $1")
            .bind(account_key)
            .fetch_optional(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        Ok(n.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    async fn clear_login_failures(&self, account_key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE account_key = $1")
            .bind(account_key)
            .execute(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        Ok(())
    }

    async fn password_history(&self, user: UserId, n: u32) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY replaced_at DESC LIMIT $2",
        )
        .bind(user.to_string())
        .bind(i64::from(n))
        .fetch_all(self.pool())
        .await
        .map_err(self.fail(GENERIC))
    }

    async fn password_set_at(&self, user: UserId) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT COALESCE((SELECT MAX(replaced_at) FROM password_history WHERE user_id = $1), created_at) \
             FROM users WHERE id = $1",
        )
        .bind(user.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(self.fail(GENERIC))?;
        Ok(at.map(Timestamp::from_millis))
    }

    async fn totp_enrolment(&self, user: UserId) -> Result<Option<TotpEnrolment>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, sealed_secret, last_step, enrolled_at FROM totp_enrolments WHERE user_id = $1",
        )
        .bind(user.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(self.fail(GENERIC))?;
        let Some(row) = row else { return Ok(None) };
        const T: &str = "totp_enrolments";
        Ok(Some(TotpEnrolment {
            user: user_id(&row, T, "user_id")?,
            sealed_secret: row.try_get("sealed_secret").map_err(|_| corrupt(T, "sealed_secret", "?"))?,
            last_step: row.try_get("last_step").map_err(|_| corrupt(T, "last_step", "?"))?,
            enrolled_at: Timestamp::from_millis(
                row.try_get("enrolled_at").map_err(|_| corrupt(T, "enrolled_at", "?"))?,
            ),
        }))
    }

    async fn enrol_totp(&self, enrolment: &TotpEnrolment, recovery_codes: &[[u8; 32]]) -> Result<bool, StoreError> {
        let user = enrolment.user.to_string();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO totp_enrolments (user_id, sealed_secret, last_step, enrolled_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(&user)
        .bind(enrolment.sealed_secret.clone())
        .bind(enrolment.last_step)
        .bind(enrolment.enrolled_at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(self.fail(ENROLMENT))?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(self.fail(GENERIC))?;
        for code in recovery_codes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(&user)
                .bind(hex::encode(code))
                .execute(&mut *tx)
                .await
                .map_err(self.fail(ENROLMENT))?;
        }
        tx.commit().await.map_err(self.fail(GENERIC))?;
        Ok(true)
    }

    async fn advance_totp_step(&self, user: UserId, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE totp_enrolments SET last_step = $2 WHERE user_id = $1 AND last_step < $2")
            .bind(user.to_string())
            .bind(step)
            .execute(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        Ok(done.rows_affected() > 0)
    }

    async fn use_recovery_code(&self, user: UserId, code_hash: &[u8; 32]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
            .bind(user.to_string())
            .bind(hex::encode(code_hash))
            .execute(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        Ok(done.rows_affected() > 0)
    }

    async fn complete_with_recovery_code(
        &self,
        challenge: &[u8; 32],
        user: UserId,
        code_hash: &[u8; 32],
    ) -> Result<RecoveryOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let used = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
            .bind(user.to_string())
            .bind(hex::encode(code_hash))
            .execute(&mut *tx)
            .await
            .map_err(self.fail(GENERIC))?;
        if used.rows_affected() == 0 {
            return Ok(RecoveryOutcome::WrongCode); // the transaction rolls back on drop
        }
        let taken = sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
            .bind(hex::encode(challenge))
            .execute(&mut *tx)
            .await
            .map_err(self.fail(GENERIC))?;
        if taken.rows_affected() == 0 {
            return Ok(RecoveryOutcome::ChallengeGone);
        }
        tx.commit().await.map_err(self.fail(GENERIC))?;
        Ok(RecoveryOutcome::Used)
    }

    async fn recovery_codes_left(&self, user: UserId) -> Result<u32, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_one(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn reset_two_factor(&self, user: UserId) -> Result<bool, StoreError> {
        let user = user.to_string();
        let mut tx = self.begin_write().await?;
        let mut forgot = 0;
        for statement in [
            "DELETE FROM totp_enrolments WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
            "DELETE FROM trusted_devices WHERE user_id = $1",
            "DELETE FROM login_challenges WHERE user_id = $1",
        ] {
            let done = sqlx::query(statement).bind(&user).execute(&mut *tx).await.map_err(self.fail(GENERIC))?;
            forgot += done.rows_affected();
        }
        tx.commit().await.map_err(self.fail(GENERIC))?;
        Ok(forgot > 0)
    }

    async fn insert_challenge(&self, c: &LoginChallenge) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_challenges (token_hash, user_id, kind, code_hash, sealed_secret, client, address, \
             created_at, expires_at, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(hex::encode(c.token_hash))
        .bind(c.user.to_string())
        .bind(c.kind.as_str())
        .bind(c.code_hash.map(hex::encode))
        .bind(c.sealed_secret.clone())
        .bind(c.client.as_str())
        .bind(c.address.to_string())
        .bind(c.created_at.as_millis())
        .bind(c.expires_at.as_millis())
        .bind(i64::from(c.attempts))
        .execute(self.pool())
        .await
        .map_err(self.fail(CHALLENGE))?;
        Ok(())
    }

    async fn challenge(&self, token_hash: &[u8; 32]) -> Result<Option<LoginChallenge>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, user_id, kind, code_hash, sealed_secret, client, address, created_at, expires_at, \
             attempts FROM login_challenges WHERE token_hash = $1",
        )
        .bind(hex::encode(token_hash))
        .fetch_optional(self.pool())
        .await
        .map_err(self.fail(GENERIC))?;
        row.as_ref().map(challenge).transpose()
    }

    async fn count_challenge_attempt(&self, token_hash: &[u8; 32]) -> Result<u32, StoreError> {
        let n: Option<i64> = sqlx::query_scalar(
            "UPDATE login_challenges SET attempts = attempts + 1 WHERE token_hash = $1 RETURNING attempts",
        )
        .bind(hex::encode(token_hash))
        .fetch_optional(self.pool())
        .await
        .map_err(self.fail(GENERIC))?;
        Ok(n.map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    async fn take_challenge(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
            .bind(hex::encode(token_hash))
            .execute(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        Ok(done.rows_affected() > 0)
    }

    async fn trust_device(
        &self,
        token_hash: &[u8; 32],
        user: UserId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO trusted_devices (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hex::encode(token_hash))
        .bind(user.to_string())
        .bind(at.as_millis())
        .bind(expires_at.as_millis())
        .execute(self.pool())
        .await
        .map_err(self.fail(DEVICE))?;
        Ok(())
    }

    async fn trusted_device(&self, token_hash: &[u8; 32], now: Timestamp) -> Result<Option<UserId>, StoreError> {
        let row = sqlx::query("SELECT user_id FROM trusted_devices WHERE token_hash = $1 AND expires_at > $2")
            .bind(hex::encode(token_hash))
            .bind(now.as_millis())
            .fetch_optional(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        row.as_ref().map(|r| user_id(r, "trusted_devices", "user_id")).transpose()
    }

    async fn user_live_sessions(&self, user: UserId, now: Timestamp) -> Result<Vec<SessionRecord>, StoreError> {
        crate::sessions::user_live_sessions(self, user, now).await
    }

    async fn forget_trusted_devices(&self, user: UserId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM trusted_devices WHERE user_id = $1")
            .bind(user.to_string())
            .execute(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        Ok(())
    }

    async fn require_password_change(&self, user: UserId) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
            .bind(user.to_string())
            .execute(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        Ok(())
    }

    async fn purge_signin(&self, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let now_ms = now.as_millis();
        for statement in [
            "DELETE FROM login_challenges WHERE expires_at <= $1",
            "DELETE FROM trusted_devices WHERE expires_at <= $1",
        ] {
            sqlx::query(statement).bind(now_ms).execute(&mut *tx).await.map_err(self.fail(GENERIC))?;
        }
        sqlx::query(
            "DELETE FROM login_failures WHERE last_failed_at <= $1 \
             AND account_key NOT IN (SELECT account_key FROM users)",
        )
        .bind(now_ms.saturating_sub(UNKNOWN_NAME_FAILURES_KEPT_MS))
        .execute(&mut *tx)
        .await
        .map_err(self.fail(GENERIC))?;
        tx.commit().await.map_err(self.fail(GENERIC))
    }
}
