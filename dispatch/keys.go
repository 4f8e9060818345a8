package dispatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/model"
)

// Authenticate returns the key a bearer token belongs to: an error of kind
// model.ErrUnauthenticated when it is none (or expired), of kind
// model.ErrUnavailable when the store cannot tell.
func (s *Service) Authenticate(ctx context.Context, token string) (auth.Key, error) {
	return s.keys.Verify(ctx, token)
}

// CreateKey makes a key and returns it with its token, which is never
// seen again. A technician key must name a stored technician.
func (s *Service) CreateKey(ctx context.Context, req auth.Request, by Actor) (auth.Key, string, error) {
	if _, err := req.Validate(s.clock()); err != nil {
		return auth.Key{}, "", err
	}
	if req.Role == auth.Technician {
		_, err := s.store.GetTechnician(ctx, req.TechnicianID)
		if errors.Is(err, model.ErrNotFound) {
			return auth.Key{}, "", invalid("technician_id", "no technician %s", req.TechnicianID)
		}
		if err != nil {
			return auth.Key{}, "", fmt.Errorf("dispatch: reading technician %s: %w", req.TechnicianID, err)
		}
	}
	key, token, err := s.keys.Create(ctx, req, by.Name)
	if err != nil {
		return auth.Key{}, "", err
	}
	s.log.InfoContext(ctx, "API key created", "key", key.ID, "name", key.Name, "role", key.Role, "technician", key.TechnicianID, "by", by.Name, "by_key", by.KeyID)
	return key, token, nil
}

// revokeBound revokes every key bound to a technician.
func (s *Service) revokeBound(ctx context.Context, technician string, by Actor) error {
	keys, err := s.keys.List(ctx)
	if err != nil {
		return fmt.Errorf("dispatch: reading the keys of technician %s: %w", technician, err)
	}
	for _, k := range keys {
		if k.TechnicianID != technician {
			continue
		}
		if err := s.RevokeKey(ctx, k.ID, by); err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
	}
	return nil
}

// Keys lists every key, never with its token.
func (s *Service) Keys(ctx context.Context) ([]auth.Key, error) { return s.keys.List(ctx) }

// RevokeKey revokes a key: it fails at once on this replica and within the
// key cache's TTL on every other.
func (s *Service) RevokeKey(ctx context.Context, id string, by Actor) error {
	if err := s.keys.Revoke(ctx, id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "API key revoked", "key", id, "by", by.Name, "by_key", by.KeyID)
	return nil
}
