package router

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Limits on a Route's fields.
const (
	// MaxDeploymentIDLength bounds Route.DeploymentID.
	MaxDeploymentIDLength = 128
	// MaxHostLabelLength is the longest DNS label: HostLabel must fit in it.
	MaxHostLabelLength = 63
	// maxTargetHostLength is the longest DNS name.
	maxTargetHostLength = 253
)

var (
	deploymentIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)
	dnsNameRE      = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
	portRE         = regexp.MustCompile(`^[0-9]{1,5}$`)
)

// HostLabel is the first DNS label of the route's host name: the project
// slug for a production route, "{deployment}--{project}" otherwise. The full
// host name is HostLabel(r) + "." + baseDomain.
func HostLabel(r admin.Route) string {
	if r.Production {
		return r.ProjectSlug
	}
	return r.DeploymentSlug + "--" + r.ProjectSlug
}

// PathPrefix is the path prefix that routes to r without a host name:
// "/{project}/{deployment}". Production routes use their deployment slug too
// (a production deployment's slug is "production").
func PathPrefix(r admin.Route) string {
	return "/" + r.ProjectSlug + "/" + r.DeploymentSlug
}

// ValidateRoute checks every field of r and returns a *admin.ValidationError
// (wrapping admin.ErrInvalidArgument) naming the first field that is wrong:
//
//   - DeploymentID: 1-128 characters of A-Z, a-z, 0-9, '_', '.', ':' and
//     '-', starting with a letter or digit;
//   - ProjectSlug and DeploymentSlug: admin.ValidateSlug; for a route that is
//     not production, HostLabel must also fit in one DNS label (63
//     characters);
//   - Target: empty (no server yet), or host:port where host is an IP
//     address (IPv6 in brackets) or a DNS name and port is 1-65535. Schemes,
//     paths, user info and queries are rejected.
func ValidateRoute(r admin.Route) error {
	switch {
	case r.DeploymentID == "":
		return invalid("deploymentId", "must not be empty")
	case len(r.DeploymentID) > MaxDeploymentIDLength:
		return invalid("deploymentId", "must be at most %d characters, got %d", MaxDeploymentIDLength, len(r.DeploymentID))
	case !deploymentIDRE.MatchString(r.DeploymentID):
		return invalid("deploymentId", "%q may hold only letters, digits, '_', '.', ':' and '-', starting with a letter or digit", r.DeploymentID)
	}
	if err := admin.ValidateSlug("projectSlug", r.ProjectSlug); err != nil {
		return err
	}
	if err := admin.ValidateSlug("deploymentSlug", r.DeploymentSlug); err != nil {
		return err
	}
	if label := HostLabel(r); len(label) > MaxHostLabelLength {
		return invalid("deploymentSlug", "host label %q is %d characters; a DNS label holds at most %d, so shorten the deployment or project slug",
			label, len(label), MaxHostLabelLength)
	}
	return validateTarget(r.Target)
}

func validateTarget(target string) error {
	if target == "" {
		return nil
	}
	if strings.Contains(target, "/") || strings.Contains(target, "@") {
		return invalid("target", "%q must be host:port, without scheme, user or path", target)
	}
	host, port, ok := splitHostPort(target)
	if !ok {
		return invalid("target", "%q must be host:port (IPv6 addresses in brackets)", target)
	}
	if !portRE.MatchString(port) || port[0] == '0' || len(port) == 5 && port > "65535" {
		return invalid("target", "%q: port must be a number from 1 to 65535", target)
	}
	if host == "" {
		return invalid("target", "%q: host must not be empty", target)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if len(host) > maxTargetHostLength || !dnsNameRE.MatchString(host) {
		return invalid("target", "%q: host must be an IP address or a DNS name", target)
	}
	return nil
}

// splitHostPort splits "host:port" and "[ipv6]:port". Unlike
// net.SplitHostPort it rejects brackets around anything but the whole host.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return "", "", false
		}
		host, port = s[1:end], s[end+2:]
		if !strings.Contains(host, ":") { // only IPv6 addresses take brackets
			return "", "", false
		}
		return host, port, true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.IndexByte(s, ':') != i || strings.ContainsAny(s, "[]") {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

func invalid(field, format string, args ...any) error {
	return &admin.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
