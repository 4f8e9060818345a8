package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/store/redisstore"
)

// keyClient is where keys are managed: the store itself, or a running
// server's API.
type keyClient interface {
	create(ctx context.Context, req auth.Request) (auth.Key, string, error)
	list(ctx context.Context) ([]auth.Key, error)
	revoke(ctx context.Context, id string) error
}

func runKeys(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	const synopsis = "dispatchd keys create --role viewer|technician|operator|dispatcher|admin --name NAME [--technician ID] [--expires 2027-06-30] | " +
		"dispatchd keys list | dispatchd keys revoke ID; each with --redis redis://… [--redis-prefix dispatchd:] or --url http://host:8080 (an admin token in $" + tokenEnv + ")"
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintf(stdout, "Usage: %s\n", synopsis)
			return errHelp
		}
		return usagef("want create, list or revoke")
	}
	verb := args[0]
	fs := flagSet("keys " + verb)
	redisURL := fs.String("redis", os.Getenv("DISPATCHD_REDIS_URL"), "the Redis of the deployment (default $DISPATCHD_REDIS_URL)")
	prefix := fs.String("redis-prefix", redisstore.DefaultPrefix, "the deployment's key prefix")
	serverURL := fs.String("url", "", "a running dispatchd to ask instead, with the admin token in $"+tokenEnv)
	var req auth.Request
	positional := 0
	switch verb {
	case "create":
		fs.StringVar((*string)(&req.Role), "role", "", "viewer, technician, operator, dispatcher or admin")
		fs.StringVar(&req.Name, "name", "", "who or what the key is for, as history will name it (\"desk 3\")")
		fs.StringVar(&req.TechnicianID, "technician", "", "with --role technician: the technician the key acts for")
		fs.StringVar(&req.Expires, "expires", "", "YYYY-MM-DD (the key works through that day, UTC) or an RFC 3339 time; default never")
	case "list":
	case "revoke":
		positional = 1
	default:
		return usagef("unknown keys command %q: want create, list or revoke", verb)
	}
	rest, err := parseFlags(fs, synopsis, args[1:], stdout, positional)
	if err != nil {
		return err
	}
	switch {
	case verb == "revoke" && len(rest) != 1:
		return usagef("keys revoke needs the id of the key")
	case *serverURL != "" && flagGiven(fs, "redis"):
		return usagef("give --redis or --url, not both")
	case *serverURL == "" && *redisURL == "":
		return usagef("keys needs --redis (or $DISPATCHD_REDIS_URL) or --url: a memory store lives only inside its serve")
	}
	if verb == "create" {
		if _, err := req.Validate(time.Now()); err != nil {
			return usagef("%s", flagErrors(err))
		}
	}
	var kc keyClient
	if *serverURL != "" {
		token := os.Getenv(tokenEnv)
		if token == "" {
			return usagef("--url needs an admin key's token in $%s", tokenEnv)
		}
		if _, err := url.ParseRequestURI(*serverURL); err != nil {
			return usagef("invalid value %q for flag -url: %v", *serverURL, err)
		}
		kc = &apiKeys{base: strings.TrimRight(*serverURL, "/"), token: token, client: &http.Client{Timeout: 30 * time.Second}}
	} else {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		rs, err := redisstore.Open(octx, *redisURL, redisstore.Options{Prefix: *prefix})
		if err != nil {
			return fmt.Errorf("opening the Redis store: %w", err)
		}
		defer rs.Close()
		svc, err := dispatch.New(dispatch.Options{Store: rs, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		defer func() { _ = svc.Shutdown(context.Background()) }()
		kc = storeKeys{svc}
	}
	switch verb {
	case "create":
		key, token, err := kc.create(ctx, req)
		if err != nil {
			return err
		}
		// The token alone on stdout, for TOKEN=$(dispatchd keys create …);
		// what it is on stderr.
		fmt.Fprintln(stdout, token)
		fmt.Fprintf(stderr, "created key %s: %s %q%s; the token above is shown this once\n", key.ID, key.Role, key.Name, bound(key))
	case "list":
		keys, err := kc.list(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tNAME\tTECHNICIAN\tCREATED\tBY\tEXPIRES")
		for _, k := range keys {
			expires := "never"
			if k.Expires != nil {
				expires = k.Expires.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, k.Name, k.TechnicianID, k.Created.Format(time.RFC3339), k.CreatedBy, expires)
		}
		return tw.Flush()
	case "revoke":
		if err := kc.revoke(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "revoked key %s: it fails on every replica within a second\n", rest[0])
	}
	return nil
}

func bound(k auth.Key) string {
	if k.TechnicianID == "" {
		return ""
	}
	return " for technician " + k.TechnicianID
}

// flagGiven reports whether a flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// flagErrors spells a validation error with the flags' names.
func flagErrors(err error) string {
	s := strings.TrimPrefix(err.Error(), "model: ")
	for field, flag := range map[string]string{"technician_id": "--technician", "role": "--role", "name": "--name", "expires": "--expires"} {
		s = strings.ReplaceAll(s, field+":", flag+":")
	}
	return s
}

// storeKeys manages keys in the deployment's store.
type storeKeys struct{ svc *dispatch.Service }

// commandLine is the actor of keys made on the command line.
var commandLine = dispatch.Actor{Name: "dispatchd keys"}

func (s storeKeys) create(ctx context.Context, req auth.Request) (auth.Key, string, error) {
	return s.svc.CreateKey(ctx, req, commandLine)
}
func (s storeKeys) list(ctx context.Context) ([]auth.Key, error) { return s.svc.Keys(ctx) }
func (s storeKeys) revoke(ctx context.Context, id string) error {
	return s.svc.RevokeKey(ctx, id, commandLine)
}

// apiKeys manages keys through a running server's API.
type apiKeys struct {
	base, token string
	client      *http.Client
}

func (a *apiKeys) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var p struct{ Detail string }
		_ = json.Unmarshal(data, &p)
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, p.Detail)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (a *apiKeys) create(ctx context.Context, req auth.Request) (auth.Key, string, error) {
	var out struct {
		auth.Key
		Token string `json:"token"`
	}
	err := a.do(ctx, http.MethodPost, "/v1/keys", req, &out)
	return out.Key, out.Token, err
}

func (a *apiKeys) list(ctx context.Context) ([]auth.Key, error) {
	var out struct{ Keys []auth.Key }
	err := a.do(ctx, http.MethodGet, "/v1/keys", nil, &out)
	return out.Keys, err
}

func (a *apiKeys) revoke(ctx context.Context, id string) error {
	return a.do(ctx, http.MethodDelete, "/v1/keys/"+url.PathEscape(id), nil, nil)
}
