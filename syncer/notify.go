package syncer

import "sync"

// UpdateKind says what changed on a connection, so a live page knows what
// to re-read.
type UpdateKind string

// Update kinds.
const (
	UpdateStatus   UpdateKind = "status"   // status, import progress, settings
	UpdateEvents   UpdateKind = "events"   // new sync events
	UpdateProgress UpdateKind = "progress" // import progress
)

// Update tells subscribers that a connection changed.
type Update struct {
	ConnectionID int64
	Kind         UpdateKind
}

// listeners fans updates out to subscribers in this process. A page served
// by another process than the worker also polls, so updates are hints, and
// a slow subscriber simply misses some.
type listeners struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Update
}

// Subscribe returns a channel of updates for every connection and a cancel
// function that closes it.
func (e *Engine) Subscribe() (<-chan Update, func()) {
	l := &e.listeners
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subs == nil {
		l.subs = make(map[int]chan Update)
	}
	id := l.next
	l.next++
	ch := make(chan Update, 64)
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

func (e *Engine) notify(connectionID int64, kind UpdateKind) {
	l := &e.listeners
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ch := range l.subs {
		select {
		case ch <- Update{ConnectionID: connectionID, Kind: kind}:
		default: // never block the sync on a slow page
		}
	}
}
