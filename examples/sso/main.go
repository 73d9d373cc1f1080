// Command sso serves the MastraAdmin HTTP API with single sign-on through
// an OpenID Connect provider (Okta, Entra ID, Google, Keycloak, Dex, …),
// next to API tokens, from a net/http ServeMux on the embedded defaults,
// and shows the browser login flow with two small pages of its own:
//
//	export MASTRA_ADMIN_LICENSE=mlic1.… MASTRA_ADMIN_LICENSE_PUBLIC_KEY=mlpub1.… OIDC_CLIENT_SECRET=…
//	go run ./examples/sso -issuer https://login.example.com -client-id mastra-admin \
//	    -public-url http://localhost:3001 -domain example.com -projects ./examples
//
// Single sign-on needs a license with the SSO feature (enterprise and
// above; internal/licensetool signs one with a key pair of your own).
// Register {public-url}/v1/auth/oidc/callback as the client's redirect URI
// at the provider, then open {public-url}/ in a browser:
//
//  1. "Sign in" opens GET /v1/auth/oidc/login, which keeps the state, nonce
//     and PKCE verifier in an encrypted, HttpOnly cookie and redirects to
//     the provider;
//  2. the provider signs the user in and redirects back to
//     GET /v1/auth/oidc/callback, which checks the state, exchanges the code,
//     verifies the ID token and maps its verified e-mail to a platform user
//     (-auto-provision creates unknown ones; -domain limits the e-mail
//     domains);
//  3. the callback issues a short-lived API token and redirects to
//     {public-url}/signed-in#access_token=…: the token travels in the URL
//     fragment, which browsers never send to a server;
//  4. the /signed-in page takes it out of the address bar and calls
//     GET /v1/me with it as a bearer token.
//
// Scripts keep using API tokens (POST /v1/bootstrap makes the first user's
// on an empty platform), and may send an ID token of the provider as a
// bearer credential too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth"
)

// sso configures single sign-on.
type sso struct {
	issuer, clientID, clientSecret string
	// publicURL is where browsers reach this server.
	publicURL     string
	domains       []string
	autoProvision bool
}

func (s *sso) register(fs *flag.FlagSet) {
	fs.StringVar(&s.issuer, "issuer", "", "the OpenID Connect provider's issuer URL (required)")
	fs.StringVar(&s.clientID, "client-id", "", "this server's client id at the provider (required)")
	fs.StringVar(&s.publicURL, "public-url", "http://localhost:3001", "where browsers reach this server")
	fs.Func("domain", "an e-mail domain allowed to sign in (repeatable; default: any)", func(d string) error {
		s.domains = append(s.domains, d)
		return nil
	})
	fs.BoolVar(&s.autoProvision, "auto-provision", false, "create a platform user for unknown e-mails")
}

func main() {
	cfg := embedded.DefaultConfig()
	cfg.RegisterFlags(flag.CommandLine)
	var s sso
	s.register(flag.CommandLine)
	flag.Parse()
	s.clientSecret = os.Getenv("OIDC_CLIENT_SECRET")
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	lic, err := license(os.Getenv("MASTRA_ADMIN_LICENSE"), os.Getenv("MASTRA_ADMIN_LICENSE_PUBLIC_KEY"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sso:", err)
		os.Exit(2)
	}
	cfg.AdminOptions = append(cfg.AdminOptions, lic)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, s, nil); err != nil {
		fmt.Fprintln(os.Stderr, "sso:", err)
		os.Exit(1)
	}
}

// license returns the option installing the license key, signed by the
// vendor key pub (admin.FormatLicensePublicKey's text form).
func license(key, pub string) (admin.Option, error) {
	if key == "" || pub == "" {
		return nil, errors.New("single sign-on needs a license with the SSO feature: set MASTRA_ADMIN_LICENSE and MASTRA_ADMIN_LICENSE_PUBLIC_KEY")
	}
	p, err := admin.ParseLicensePublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("MASTRA_ADMIN_LICENSE_PUBLIC_KEY: %w", err)
	}
	return admin.WithLicense(key, p), nil
}

// run opens the Stack, adds single sign-on to the API and serves it until
// ctx is done; ready is as for embedded.Stack.Serve.
func run(ctx context.Context, cfg embedded.Config, s sso, ready func(apiAddr string)) (err error) {
	if s.issuer == "" || s.clientID == "" {
		return fmt.Errorf("-issuer and -client-id are required: %w", admin.ErrInvalidArgument)
	}
	s.publicURL = strings.TrimSuffix(s.publicURL, "/")
	st, err := cfg.Open(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	o, err := oidcauth.New(ctx, st.Admin, s.issuer, s.clientID, &oidcauth.Options{
		ClientSecret:      s.clientSecret,
		RedirectURL:       s.publicURL + oidcauth.CallbackPath,
		PostLoginRedirect: s.publicURL + "/signed-in",
		AllowedDomains:    s.domains,
		AutoProvision:     s.autoProvision,
		Logger:            cfg.Logger,
	})
	if err != nil {
		return err
	}
	cfg.API.Authenticators = []httpapi.Authenticator{httpapi.TokenAuthenticator(st.Admin), o}
	cfg.API.Routes = o.Routes()
	return st.Serve(ctx, cfg, mount, ready)
}

// mount serves the sign-in pages next to the API.
func mount(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", page("text/html; charset=utf-8", homePage))
	mux.HandleFunc("GET /signed-in", page("text/html; charset=utf-8", signedInPage))
	mux.HandleFunc("GET /signed-in.js", page("text/javascript; charset=utf-8", signedInScript))
	mux.Handle("/", api)
	return mux
}

// page serves a fixed document that runs no code from elsewhere.
func page(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, body)
	}
}

const homePage = `<!doctype html>
<meta charset="utf-8"><title>MastraAdmin</title>
<h1>MastraAdmin</h1>
<p><a href="` + oidcauth.LoginPath + `">Sign in with single sign-on</a></p>
`

const signedInPage = `<!doctype html>
<meta charset="utf-8"><title>MastraAdmin: signed in</title>
<h1>MastraAdmin</h1>
<p id="who">Signing in…</p>
<script src="/signed-in.js"></script>
`

// signedInScript takes the API token from the fragment the callback
// redirected to, removes it from the address bar and history, keeps it for
// this tab only, and calls the API with it.
const signedInScript = `const params = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, "", location.pathname);
const who = document.getElementById("who");
const token = params.get("access_token");
if (!token) {
  who.textContent = "No token in the address: sign in again.";
} else {
  sessionStorage.setItem("mastra-admin-token", token);
  fetch("/v1/me", { headers: { authorization: "Bearer " + token } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("GET /v1/me: " + r.status))))
    .then((me) => { who.textContent = "Signed in as " + me.email + "."; })
    .catch((e) => { who.textContent = "Sign-in failed: " + e.message; });
}
`
