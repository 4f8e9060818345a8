package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// cloneWebhook returns a deep copy.
func cloneWebhook(h model.Webhook) model.Webhook {
	h.Types = slices.Clone(h.Types)
	return h
}

// cloneDelivery returns a deep copy.
func cloneDelivery(d model.Delivery) model.Delivery {
	d.Body = slices.Clone(d.Body)
	d.LastAttempt = clonePtr(d.LastAttempt)
	d.DeliveredAt = clonePtr(d.DeliveredAt)
	return d
}

// PutWebhook creates or replaces a webhook.
func (m *Memory) PutWebhook(_ context.Context, h model.Webhook) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.webhooks.put(h.ID, h)
	return err
}

// GetWebhook returns the webhook with the id, or an error wrapping
// ErrNotFound.
func (m *Memory) GetWebhook(_ context.Context, id string) (model.Webhook, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.webhooks.get(id)
}

// ListWebhooks returns every webhook, sorted by id.
func (m *Memory) ListWebhooks(context.Context) ([]model.Webhook, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.webhooks.list(), nil
}

// DeleteWebhook removes a webhook with its deliveries, pending or not, or
// returns an error wrapping ErrNotFound.
func (m *Memory) DeleteWebhook(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.webhooks.delete(id); err != nil {
		return err
	}
	for _, did := range m.hookLogs[id] {
		delete(m.deliveries, did)
		delete(m.due, did)
	}
	delete(m.hookLogs, id)
	return nil
}

// AddDeliveries keeps new deliveries, each pending and due at its
// NextAttempt, and returns how many it added: a delivery whose id is
// already kept, or whose webhook is gone, is left out. Each webhook's log
// keeps its pending deliveries and the newest DeliveryLogSize others.
func (m *Memory) AddDeliveries(_ context.Context, ds ...model.Delivery) (int, error) {
	for _, d := range ds {
		if err := CheckDelivery(d); err != nil {
			return 0, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	added := 0
	for _, d := range ds {
		if _, ok := m.webhooks.byID[d.WebhookID]; !ok {
			continue
		}
		if _, ok := m.deliveries[d.ID]; ok {
			continue
		}
		d = cloneDelivery(d)
		d.Status, d.Attempts = model.DeliveryPending, 0
		m.deliveries[d.ID] = &d
		m.due[d.ID] = d.NextAttempt
		m.hookLogs[d.WebhookID] = append(m.hookLogs[d.WebhookID], d.ID)
		m.trimLog(d.WebhookID)
		added++
	}
	return added, nil
}

// trimLog forgets a webhook's oldest finished deliveries beyond
// DeliveryLogSize. The caller holds the lock.
func (m *Memory) trimLog(webhookID string) {
	ids := m.hookLogs[webhookID]
	over := len(ids) - DeliveryLogSize
	if over <= 0 {
		return
	}
	kept := ids[:0]
	for _, id := range ids {
		if _, pending := m.due[id]; over > 0 && !pending {
			delete(m.deliveries, id)
			over--
			continue
		}
		kept = append(kept, id)
	}
	m.hookLogs[webhookID] = kept
}

// ClaimDeliveries hands out up to limit pending deliveries due at now,
// earliest first: each one's Attempts is raised, and it is not due again
// until now plus lease, so that no other claim takes it while this
// attempt runs, and another does if the claimer dies.
func (m *Memory) ClaimDeliveries(_ context.Context, now time.Time, lease time.Duration, limit int) ([]model.Delivery, error) {
	if limit < 1 || lease <= 0 {
		return nil, fmt.Errorf("store: claiming deliveries: want a limit of at least 1 and a positive lease")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, at := range m.due {
		if !at.After(now) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := m.due[a].Compare(m.due[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	out := []model.Delivery{}
	for _, id := range ids {
		if len(out) == limit {
			break
		}
		d := m.deliveries[id]
		d.Attempts++
		m.due[id] = now.Add(lease)
		out = append(out, cloneDelivery(*d))
	}
	return out, nil
}

// SaveDelivery records the outcome of the attempt d.Attempts: a pending
// delivery is due again at d.NextAttempt, a delivered or failed one is
// due no more. It reports false, changing nothing, when the delivery was
// claimed again since (the claimer's lease ran out) or is gone.
func (m *Memory) SaveDelivery(_ context.Context, d model.Delivery) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.deliveries[d.ID]
	if !ok || cur.Attempts != d.Attempts {
		return false, nil
	}
	saved := cloneDelivery(d)
	m.deliveries[d.ID] = &saved
	if d.Status == model.DeliveryPending {
		m.due[d.ID] = d.NextAttempt
	} else {
		delete(m.due, d.ID)
	}
	return true, nil
}

// Deliveries returns the newest limit deliveries of a webhook's log,
// newest first.
func (m *Memory) Deliveries(_ context.Context, webhookID string, limit int) ([]model.Delivery, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := m.hookLogs[webhookID]
	out := []model.Delivery{}
	for i := len(ids) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, cloneDelivery(*m.deliveries[ids[i]]))
	}
	return out, nil
}
