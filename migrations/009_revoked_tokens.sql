-- Tokens signed out before they expire (the codec sign-in cookie). A row lives until the token
-- would have expired anyway; every revocation clears the rows that have.
CREATE TABLE revoked_tokens (
  jti TEXT PRIMARY KEY,
  expires_at TIMESTAMPTZ NOT NULL
);
