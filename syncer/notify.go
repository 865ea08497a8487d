package syncer

import (
	"sync"

	"github.com/saleshive/crmsync"
)

// listeners fans updates out to subscribers in this process. A page served
// by another process than the worker also polls, so updates are hints, and
// a slow subscriber simply misses some.
type listeners struct {
	mu   sync.Mutex
	next int
	subs map[int]chan crmsync.LiveUpdate
}

// Subscribe returns a channel of updates for every connection and a cancel
// function that closes it.
func (e *Engine) Subscribe() (<-chan crmsync.LiveUpdate, func()) {
	l := &e.listeners
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subs == nil {
		l.subs = make(map[int]chan crmsync.LiveUpdate)
	}
	id := l.next
	l.next++
	ch := make(chan crmsync.LiveUpdate, 64)
	l.subs[id] = ch
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if c, ok := l.subs[id]; ok {
			delete(l.subs, id)
			close(c)
		}
	}
}

func (e *Engine) notify(connectionID int64, kind crmsync.UpdateKind) {
	l := &e.listeners
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ch := range l.subs {
		select {
		case ch <- crmsync.LiveUpdate{ConnectionID: connectionID, Kind: kind}:
		default: // never block the sync on a slow page
		}
	}
}
