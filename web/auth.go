package web

import (
	"net/http"
	"strings"

	"github.com/saleshive/crmsync"
)

// apiHandler is an API action of one authenticated workspace. It writes its
// response on success and returns any error for the caller to write.
type apiHandler func(w http.ResponseWriter, r *http.Request, workspaceID int64) error

// api authenticates the request's bearer token and runs h for the token's
// workspace, writing h's error as JSON. The token itself is never logged.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		workspaceID, err := s.authenticate(r)
		if err == nil {
			infoFrom(r.Context()).workspaceID = workspaceID
			err = h(w, r, workspaceID)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	}
}

// authenticate returns the workspace of the request's API token.
func (s *Server) authenticate(r *http.Request) (int64, error) {
	header := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if header == "" || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return 0, crmsync.Errorf(crmsync.EUNAUTHORIZED,
			"Send your workspace's API token in the Authorization header: Authorization: Bearer <token>.")
	}
	tok, err := s.cfg.Workspaces.AuthenticateAPIToken(r.Context(), token)
	if crmsync.ErrorCode(err) == crmsync.EUNAUTHORIZED {
		return 0, crmsync.Errorf(crmsync.EUNAUTHORIZED,
			"The API token is not valid. Create a new one with: crmsync token create --workspace <id> --name <name>.")
	} else if err != nil {
		return 0, err
	}
	return tok.WorkspaceID, nil
}
