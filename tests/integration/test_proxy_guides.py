"""The Traefik and Envoy guides cannot be run here (neither proxy is in Debian), so their
configuration is checked as data: it parses, and it has the properties whose absence broke
sign-in or let a client describe its own request. nginx and Caddy are run for real
(test_nginx.py, test_caddy.py)."""
import ipaddress
import os
import re
import tomllib
import unittest

import yaml

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
# Every header cloakroom reads about the original request.
ORIGINAL_REQUEST = {"x-forwarded-uri", "x-original-uri", "x-forwarded-method", "x-original-method",
                    "x-forwarded-host", "x-forwarded-proto", "x-original-url", "x-forwarded-for"}
# Paths that must reach cloakroom without a check, or nobody could sign in.
OPEN_PATHS = ["/login", "/account", "/reset", "/auth/login", "/auth/assets/login.js", "/.well-known/jwks.json"]


def yaml_block(doc):
    with open(os.path.join(DOCS, doc)) as f:
        return yaml.safe_load(re.search(r"```yaml\n(.*?)```", f.read(), re.S).group(1))


def traefik_matches(rule, host, path):
    """Evaluates the Host/Path/PathPrefix rules the guide uses (&&, ||, parentheses)."""
    expr = re.sub(r"Host\(`([^`]*)`\)", lambda m: repr(m.group(1) == host), rule)
    expr = re.sub(r"PathPrefix\(`([^`]*)`\)", lambda m: repr(path.startswith(m.group(1))), expr)
    expr = re.sub(r"Path\(`([^`]*)`\)", lambda m: repr(path == m.group(1)), expr)
    expr = expr.replace("&&", " and ").replace("||", " or ")
    assert re.fullmatch(r"[\sA-Za-z()]*", expr), expr  # only True/False/and/or left
    return eval(expr)  # noqa: S307 (booleans only, checked above)


class TraefikGuideTest(unittest.TestCase):
    def setUp(self):
        self.config = yaml_block("deploy-traefik.md")["http"]

    def router_for(self, path):
        """The router Traefik picks: the highest priority among those whose rule matches."""
        routers = [(r.get("priority", 0), name, r) for name, r in self.config["routers"].items()
                   if traefik_matches(r["rule"], "app.example.com", path)]
        self.assertTrue(routers, path)
        return max(routers, key=lambda x: x[0])[2]

    def test_sign_in_paths_skip_forward_auth(self):
        """/login behind ForwardAuth would redirect to itself: cloakroom's paths go straight to it."""
        for path in OPEN_PATHS:
            router = self.router_for(path)
            self.assertEqual(router["service"], "cloakroom", path)
            self.assertFalse(router.get("middlewares"), path)

    def test_the_app_is_behind_forward_auth(self):
        for path in ["/", "/admin/users", "/loginx", "/authx"]:
            router = self.router_for(path)
            self.assertEqual((router["service"], router["middlewares"]), ("app", ["cloakroom"]), path)

    def test_forward_auth_sees_no_client_description_of_the_request(self):
        fa = self.config["middlewares"]["cloakroom"]["forwardAuth"]
        self.assertEqual(fa["address"], "http://127.0.0.1:8080/auth/verify")
        self.assertIs(fa["trustForwardHeader"], False)
        self.assertFalse({h.lower() for h in fa["authRequestHeaders"]} & ORIGINAL_REQUEST)
        self.assertEqual(set(fa["authResponseHeaders"]), {"X-Auth-User", "X-Auth-User-Id", "X-Auth-Roles"})


    def test_only_traefik_itself_is_trusted(self):
        """trusted_proxies names single addresses: a Docker-wide block would let every container
        forge X-Forwarded-For and pick its own throttle bucket."""
        with open(os.path.join(DOCS, "deploy-traefik.md")) as f:
            config = tomllib.loads(re.search(r"```toml\n(.*?)```", f.read(), re.S).group(1))
        proxies = config["http"]["trusted_proxies"]
        self.assertTrue(proxies)
        for entry in proxies:
            self.assertEqual(ipaddress.ip_network(entry).num_addresses, 1, entry)


class EnvoyGuideTest(unittest.TestCase):
    def setUp(self):
        listener = yaml_block("deploy-envoy.md")["static_resources"]["listeners"][0]
        self.hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
        self.authz = next(f["typed_config"] for f in self.hcm["http_filters"]
                          if f["name"] == "envoy.filters.http.ext_authz")

    def route_for(self, path):
        """Envoy's first matching route (prefix, path or a whole-path regex)."""
        for route in self.hcm["route_config"]["virtual_hosts"][0]["routes"]:
            m = route["match"]
            if ("prefix" in m and path.startswith(m["prefix"]) or m.get("path") == path
                    or "safe_regex" in m and re.fullmatch(m["safe_regex"]["regex"], path)):
                return route
        self.fail(f"no route for {path}")

    def test_sign_in_paths_skip_the_check(self):
        for path in OPEN_PATHS:
            route = self.route_for(path)
            self.assertEqual(route["route"]["cluster"], "cloakroom", path)
            self.assertIs(route["typed_per_filter_config"]["envoy.filters.http.ext_authz"]["disabled"], True, path)

    def test_the_app_is_checked(self):
        for path in ["/", "/admin/users", "/loginx", "/authx"]:
            route = self.route_for(path)
            self.assertEqual(route["route"]["cluster"], "app", path)
            self.assertNotIn("typed_per_filter_config", route, path)

    def test_client_addresses_and_underscored_headers(self):
        """X-Forwarded-For ends with the peer Envoy saw; header names with underscores are dropped."""
        self.assertIs(self.hcm["use_remote_address"], True)
        self.assertEqual(self.hcm["common_http_protocol_options"]["headers_with_underscores_action"], "DROP_HEADER")

    def test_the_check_fails_closed_and_describes_the_request_itself(self):
        self.assertIs(self.authz["failure_mode_allow"], False)
        self.assertTrue(self.hcm["normalize_path"])
        # The current field (top level); http_service.authorization_request.allowed_headers is deprecated.
        allowed = {p["exact"] for p in self.authz["allowed_headers"]["patterns"]}
        self.assertNotIn("allowed_headers", self.authz["http_service"]["authorization_request"])
        self.assertFalse(allowed & ORIGINAL_REQUEST)
        added = {h["key"] for h in self.authz["http_service"]["authorization_request"]["headers_to_add"]}
        self.assertEqual(added, ORIGINAL_REQUEST)


if __name__ == "__main__":
    unittest.main()
