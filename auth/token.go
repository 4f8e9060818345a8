package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// A token is "dk_", the key's id (16 hexadecimal digits, 64 random bits,
// public: lists and histories show it), "_", and the secret: 32 bytes
// from crypto/rand (256 bits), base64url without padding. Only its
// SHA-256 is stored. A fast hash is right here, where a password would
// want a slow one: nobody can search 2^256 secrets, however fast each
// guess is checked, and every request pays for the hash.
const (
	tokenPrefix = "dk_"
	idLen       = 16
	secretBytes = 32
	tokenLen    = len(tokenPrefix) + idLen + 1 + (secretBytes*8+5)/6
)

// MaxTokenLength bounds what is read of a credential: a longer one is
// refused without hashing it. A bootstrap key may be at most this long.
const MaxTokenLength = 512

// newToken draws a key id and its token.
func newToken() (id, token string) {
	var idb [idLen / 2]byte
	var secret [secretBytes]byte
	_, _ = rand.Read(idb[:]) // crypto/rand.Read never fails (Go 1.24)
	_, _ = rand.Read(secret[:])
	id = hex.EncodeToString(idb[:])
	return id, tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
}

// tokenID returns the key id a token of ours names, or false for anything
// else. It reads only the token's shape.
func tokenID(token string) (string, bool) {
	if len(token) != tokenLen || !strings.HasPrefix(token, tokenPrefix) || token[len(tokenPrefix)+idLen] != '_' {
		return "", false
	}
	id := token[len(tokenPrefix) : len(tokenPrefix)+idLen]
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return id, true
}

// hashToken is what is stored of a token, and what a presented token is
// compared by.
func hashToken(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }
