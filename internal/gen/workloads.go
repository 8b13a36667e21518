package gen

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

const nameLabel = "app.kubernetes.io/name"

var (
	products = []string{
		"payments", "checkout", "cart", "catalog", "search", "identity", "orders", "shipping",
		"notifications", "analytics", "billing", "inventory", "recommendations", "reviews", "accounts",
		"gateway", "media", "messaging", "reporting", "pricing", "loyalty", "fraud", "ledger",
		"invoicing", "subscriptions", "onboarding", "support", "chat", "geo", "booking", "warehouse",
		"returns", "promotions", "ads", "feeds", "profiles", "settings", "audit", "compliance", "exports",
	}
	teams   = []string{"core", "growth", "platform", "commerce", "data", "identity", "fulfillment", "fintech", "content", "mobile", "search", "risk"}
	regions = []string{"eu", "us", "ap", "eu2", "us2", "ap2"}

	frontendNames = []string{"web", "frontend", "admin-ui", "portal", "dashboard", "storefront"}
	apiNames      = []string{
		"api", "gateway", "graphql", "auth", "sessions", "profile", "search", "quotes", "events", "webhooks",
		"notifier", "tokens", "orders", "ledger", "reports", "config", "rules", "pricing", "inventory", "catalog",
		"users", "checkout", "cart", "media", "export", "audit", "billing", "accounts", "rates", "feeds",
	}
	workerNames = []string{
		"worker", "consumer", "scheduler", "indexer", "mailer", "reconciler", "importer", "outbox-relay",
		"thumbnailer", "aggregator", "cleanup", "dispatcher",
	}
)

// workload is a Deployment, StatefulSet or DaemonSet and what the policies
// need to know of it.
type workload struct {
	ns         *namespace
	kind       string // Deployment, StatefulSet or DaemonSet
	name       string
	component  string            // frontend, api, worker, database, cache, queue, or a system role
	selector   map[string]string // spec.selector.matchLabels
	labels     map[string]string // template labels
	containers []corev1.Container
	sidecars   []corev1.Container // init containers with restartPolicy Always
	replicas   int
	// served are the ports clients connect to; metrics ports are scraped
	// and not listed here.
	served   []corev1.ContainerPort
	services []service
	sa       string

	uses     []*workload // what it calls
	clients  []*workload // who calls it
	internet bool        // calls addresses on the internet
	partner  bool        // calls a few fixed external backends
	// partnerIPs are the partner backends its egress policy allows, in a
	// zero-trust namespace (for the flows of Hubble).
	partnerIPs []netip.Addr
}

type service struct {
	name     string
	headless bool
	typ      corev1.ServiceType
	ports    []corev1.ServicePort
}

// sel is how policies select the workload's pods.
func (w *workload) sel() map[string]string {
	return map[string]string{w.ns.appKey: w.name}
}

func cport(name string, port int32, proto corev1.Protocol) corev1.ContainerPort {
	return corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: proto}
}

func sport(name string, port int32, target intstr.IntOrString, proto corev1.Protocol) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: target, Protocol: proto}
}

func requests(cpu, mem string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)},
	}
}

func container(name, image string, res corev1.ResourceRequirements, ports ...corev1.ContainerPort) corev1.Container {
	return corev1.Container{
		Name: name, Image: image, Ports: ports, Resources: res,
		ImagePullPolicy:          corev1.PullIfNotPresent,
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
}

func (g *generator) addNamespace(name, env, team, product string, system bool) *namespace {
	ns := &namespace{
		name: name, env: env, team: team, product: product, system: system,
		labels:   map[string]string{"kubernetes.io/metadata.name": name},
		appKey:   nameLabel,
		created:  g.epoch.Add(time.Duration(g.rng.IntN(90*24)) * time.Hour),
		wlNames:  map[string]bool{},
		npNames:  map[string]bool{},
		cnpNames: map[string]bool{},
	}
	if env != "" {
		ns.labels["env"] = env
	}
	if team != "" {
		ns.labels["team"] = team
	}
	g.namespaces = append(g.namespaces, ns)
	g.byName[name] = ns
	return ns
}

func (g *generator) makeNamespaces() {
	for _, name := range SystemNamespaces {
		ns := g.addNamespace(name, "", "", "", true)
		ns.created = g.epoch
		switch name {
		case "monitoring", "ingress-nginx":
			ns.labels["team"] = "platform"
			ns.posture = denyIngress
		}
	}
	perm := g.rng.Perm(len(products))
	productTeam := map[string]string{}
	for i := range g.cfg.Namespaces {
		product := products[perm[i%len(products)]]
		if productTeam[product] == "" {
			productTeam[product] = pick(g, teams)
		}
		env := []string{"prod", "staging", "dev"}[g.weighted(4, 3, 3)]
		name := product + "-" + env
		for k := 0; g.byName[name] != nil; k++ {
			if k < len(regions) {
				name = fmt.Sprintf("%s-%s-%s", product, env, regions[k])
			} else {
				name = fmt.Sprintf("%s-%s-%d", product, env, k-len(regions)+2)
			}
		}
		ns := g.addNamespace(name, env, productTeam[product], product, false)
		if g.chance(0.2) {
			ns.appKey = "app" // older charts select on app=NAME
		}
		if env == "prod" && (product == "payments" || product == "billing" || product == "ledger" || product == "fraud") {
			ns.labels["compliance"] = "pci"
		}
		if g.chance(0.3) {
			ns.labels["istio-injection"] = "disabled"
		}
		openP := map[string]float64{"prod": 0.04, "staging": 0.1, "dev": 0.25}[env]
		switch g.weighted(openP, 0.55, 0.4) {
		case 0:
			ns.posture = open
		case 1:
			ns.posture = denyIngress
		default:
			ns.posture = zeroTrust
		}
		g.apps = append(g.apps, ns)
	}
}

// workloadSpec describes a workload before its objects are built.
type workloadSpec struct {
	kind, name, component, tier string
	selector, labels            map[string]string
	containers, sidecars        []corev1.Container
	served                      []corev1.ContainerPort
	services                    []service
	replicas                    int
	sa                          string
}

// addWorkload records a workload with replicas pods taken from the budget;
// it returns nil when the budget is spent.
func (g *generator) addWorkload(ns *namespace, s workloadSpec) *workload {
	if s.kind == "DaemonSet" {
		s.replicas = g.nodes
	}
	n := g.take(s.replicas)
	if n == 0 {
		return nil
	}
	name := s.name
	for k := 2; ns.wlNames[name]; k++ {
		name = fmt.Sprintf("%s-%d", s.name, k)
	}
	ns.wlNames[name] = true
	w := &workload{
		ns: ns, kind: s.kind, name: name, component: s.component,
		selector: s.selector, labels: s.labels, containers: s.containers, sidecars: s.sidecars,
		served: s.served, services: s.services, replicas: n, sa: s.sa,
	}
	if name != s.name {
		// Rename the labels and services that carry the base name.
		for _, m := range []map[string]string{w.selector, w.labels} {
			for _, k := range []string{nameLabel, "app", "app.kubernetes.io/instance"} {
				if m[k] == s.name {
					m[k] = name
				}
			}
		}
		for i := range w.services {
			if w.services[i].name == s.name {
				w.services[i].name = name
			} else if w.services[i].name == s.name+"-hl" {
				w.services[i].name = name + "-hl"
			}
		}
	}
	if w.sa == "" {
		w.sa = name
	}
	ns.workloads = append(ns.workloads, w)
	return w
}

func (g *generator) makeSystemWorkloads() {
	ks := g.byName["kube-system"]
	dnsPorts := []corev1.ContainerPort{cport("dns", 53, udp), cport("dns-tcp", 53, tcp), cport("metrics", 9153, tcp)}
	g.addWorkload(ks, workloadSpec{
		kind: "Deployment", name: "coredns", component: "dns", tier: "system",
		selector:   map[string]string{"k8s-app": "kube-dns"},
		labels:     map[string]string{"k8s-app": "kube-dns"},
		containers: []corev1.Container{container("coredns", "registry.k8s.io/coredns/coredns:v1.11.3", requests("100m", "170Mi"), dnsPorts...)},
		served:     dnsPorts[:2],
		services: []service{{name: "kube-dns", ports: []corev1.ServicePort{
			sport("dns", 53, intstr.FromInt32(53), udp), sport("dns-tcp", 53, intstr.FromInt32(53), tcp), sport("metrics", 9153, intstr.FromInt32(9153), tcp),
		}}},
		replicas: 2,
	})
	if g.cfg.Pods < 100 {
		return
	}
	ing := g.byName["ingress-nginx"]
	ingPorts := []corev1.ContainerPort{cport("http", 80, tcp), cport("https", 443, tcp), cport("metrics", 10254, tcp), cport("webhook", 8443, tcp)}
	ingLabels := func() map[string]string {
		return map[string]string{nameLabel: "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/component": "controller"}
	}
	g.addWorkload(ing, workloadSpec{
		kind: "Deployment", name: "ingress-nginx-controller", component: "controller", tier: "edge",
		selector: ingLabels(), labels: ingLabels(),
		containers: []corev1.Container{container("controller", "registry.k8s.io/ingress-nginx/controller:v1.11.2", requests("100m", "90Mi"), ingPorts...)},
		served:     ingPorts[:2],
		services: []service{
			{name: "ingress-nginx-controller", typ: corev1.ServiceTypeLoadBalancer, ports: []corev1.ServicePort{
				sport("http", 80, intstr.FromString("http"), tcp), sport("https", 443, intstr.FromString("https"), tcp)}},
			{name: "ingress-nginx-controller-admission", ports: []corev1.ServicePort{sport("https-webhook", 443, intstr.FromString("webhook"), tcp)}},
		},
		replicas: 3, sa: "ingress-nginx",
	})
	g.addWorkload(ks, workloadSpec{
		kind: "Deployment", name: "metrics-server", component: "metrics-server", tier: "system",
		selector:   map[string]string{"k8s-app": "metrics-server"},
		labels:     map[string]string{"k8s-app": "metrics-server"},
		containers: []corev1.Container{container("metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.2", requests("100m", "200Mi"), cport("https", 10250, tcp))},
		services:   []service{{name: "metrics-server", ports: []corev1.ServicePort{sport("https", 443, intstr.FromString("https"), tcp)}}},
		replicas:   1,
	})
	g.addWorkload(ks, workloadSpec{
		kind: "DaemonSet", name: "fluent-bit", component: "logging", tier: "system",
		selector:   map[string]string{nameLabel: "fluent-bit", "app.kubernetes.io/instance": "fluent-bit"},
		labels:     map[string]string{nameLabel: "fluent-bit", "app.kubernetes.io/instance": "fluent-bit"},
		containers: []corev1.Container{container("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.7", requests("50m", "64Mi"), cport("http", 2020, tcp))},
	})
	mon := g.byName["monitoring"]
	monLabels := func(name, component string) map[string]string {
		return map[string]string{nameLabel: name, "app.kubernetes.io/instance": "kube-prometheus-stack", "app.kubernetes.io/component": component}
	}
	g.addWorkload(mon, workloadSpec{
		kind: "StatefulSet", name: "prometheus", component: "prometheus", tier: "monitoring",
		selector: monLabels("prometheus", "server"), labels: monLabels("prometheus", "server"),
		containers: []corev1.Container{container("prometheus", "quay.io/prometheus/prometheus:v2.54.1", requests("500m", "2Gi"), cport("web", 9090, tcp))},
		served:     []corev1.ContainerPort{cport("web", 9090, tcp)},
		services:   []service{{name: "prometheus", ports: []corev1.ServicePort{sport("web", 9090, intstr.FromString("web"), tcp)}}, {name: "prometheus-hl", headless: true, ports: []corev1.ServicePort{sport("web", 9090, intstr.FromString("web"), tcp)}}},
		replicas:   2,
	})
	amPorts := []corev1.ContainerPort{cport("web", 9093, tcp), cport("mesh-tcp", 9094, tcp), cport("mesh-udp", 9094, udp)}
	g.addWorkload(mon, workloadSpec{
		kind: "StatefulSet", name: "alertmanager", component: "alertmanager", tier: "monitoring",
		selector: monLabels("alertmanager", "alerting"), labels: monLabels("alertmanager", "alerting"),
		containers: []corev1.Container{container("alertmanager", "quay.io/prometheus/alertmanager:v0.27.0", requests("50m", "128Mi"), amPorts...)},
		served:     amPorts,
		services:   []service{{name: "alertmanager", ports: []corev1.ServicePort{sport("web", 9093, intstr.FromString("web"), tcp)}}, {name: "alertmanager-hl", headless: true, ports: []corev1.ServicePort{sport("web", 9093, intstr.FromString("web"), tcp), sport("mesh-tcp", 9094, intstr.FromInt32(9094), tcp), sport("mesh-udp", 9094, intstr.FromInt32(9094), udp)}}},
		replicas:   1 + 2*g.rng.IntN(2),
	})
	g.addWorkload(mon, workloadSpec{
		kind: "Deployment", name: "grafana", component: "grafana", tier: "monitoring",
		selector: monLabels("grafana", "dashboards"), labels: monLabels("grafana", "dashboards"),
		containers: []corev1.Container{container("grafana", "docker.io/grafana/grafana:11.2.0", requests("100m", "256Mi"), cport("grafana", 3000, tcp))},
		served:     []corev1.ContainerPort{cport("grafana", 3000, tcp)},
		services:   []service{{name: "grafana", ports: []corev1.ServicePort{sport("http", 80, intstr.FromString("grafana"), tcp)}}},
		replicas:   1,
	})
	g.addWorkload(mon, workloadSpec{
		kind: "Deployment", name: "kube-state-metrics", component: "exporter", tier: "monitoring",
		selector: monLabels("kube-state-metrics", "metrics"), labels: monLabels("kube-state-metrics", "metrics"),
		containers: []corev1.Container{container("kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0", requests("10m", "64Mi"), cport("http", 8080, tcp), cport("telemetry", 8081, tcp))},
		services:   []service{{name: "kube-state-metrics", ports: []corev1.ServicePort{sport("http", 8080, intstr.FromString("http"), tcp)}}},
		replicas:   1,
	})
	otelPorts := []corev1.ContainerPort{cport("otlp-grpc", 4317, tcp), cport("otlp-http", 4318, tcp), cport("metrics", 8888, tcp)}
	g.addWorkload(mon, workloadSpec{
		kind: "DaemonSet", name: "otel-agent", component: "telemetry", tier: "monitoring",
		selector: monLabels("otel-agent", "agent"), labels: monLabels("otel-agent", "agent"),
		containers: []corev1.Container{container("otel-collector", "otel/opentelemetry-collector-contrib:0.109.0", requests("50m", "128Mi"), otelPorts...)},
		served:     otelPorts[:2],
		services:   []service{{name: "otel-agent", ports: []corev1.ServicePort{sport("otlp-grpc", 4317, intstr.FromString("otlp-grpc"), tcp), sport("otlp-http", 4318, intstr.FromString("otlp-http"), tcp)}}},
	})
}

// makeAppWorkloads spreads the pods left over the application namespaces
// (some namespaces much larger than others) and fills each with a product:
// maybe a frontend, datastores, then APIs and workers.
func (g *generator) makeAppWorkloads() {
	if len(g.apps) == 0 {
		return
	}
	weights := make([]float64, len(g.apps))
	for i := range weights {
		weights[i] = 0.25 + g.rng.ExpFloat64()
	}
	budgets := apportion(g.left, weights)
	for i, ns := range g.apps {
		g.fillNamespace(ns, budgets[i])
	}
}

type archetype int

const (
	archFrontend archetype = iota
	archAPI
	archWorker
	archPostgres
	archMySQL
	archMongo
	archRedis
	archMemcached
	archRabbit
)

func (g *generator) fillNamespace(ns *namespace, budget int) {
	var plan []archetype
	if g.chance(0.7) {
		plan = append(plan, archFrontend)
	}
	if g.chance(0.65) {
		plan = append(plan, []archetype{archPostgres, archMySQL, archMongo}[g.weighted(6, 2.5, 1.5)])
	}
	if g.chance(0.45) {
		plan = append(plan, []archetype{archRedis, archMemcached}[g.weighted(8, 2)])
	}
	if g.chance(0.15) {
		plan = append(plan, archRabbit)
	}
	plan = append(plan, archAPI)
	g.rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	firstAPI := true
	for budget > 0 {
		var a archetype
		if len(plan) > 0 {
			a, plan = plan[0], plan[1:]
		} else if g.chance(0.65) {
			a = archAPI
		} else {
			a = archWorker
		}
		s := g.archetypeSpec(ns, a, firstAPI && a == archAPI)
		s.replicas = min(s.replicas, budget)
		w := g.addWorkload(ns, s)
		budget -= w.replicas
		if a == archAPI {
			firstAPI = false
		}
	}
}

func (g *generator) version() string {
	return fmt.Sprintf("v%d.%d.%d", g.between(1, 3), g.between(0, 24), g.between(0, 9))
}

// archetypeSpec builds a workload of an application namespace.
func (g *generator) archetypeSpec(ns *namespace, a archetype, productAPI bool) workloadSpec {
	var s workloadSpec
	metrics := cport("metrics", 9102, tcp)
	http := cport("http", 8080, tcp)
	version := g.version()
	image := func(name string) string {
		return fmt.Sprintf("registry.example.com/%s/%s:%s", ns.product, name, version)
	}
	// datastore fills in a StatefulSet with its server and exporter.
	datastore := func(name, component, img string, res corev1.ResourceRequirements, exporter corev1.Container, ports ...corev1.ContainerPort) {
		s.kind, s.name, s.component, s.tier = "StatefulSet", name, component, "data"
		s.containers = []corev1.Container{container(name, img, res, ports...)}
		if g.chance(0.3) {
			exporter.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
			s.sidecars = []corev1.Container{exporter}
		} else {
			s.containers = append(s.containers, exporter)
		}
		s.served = ports
		var sp []corev1.ServicePort
		for _, p := range ports {
			sp = append(sp, sport(p.Name, p.ContainerPort, intstr.FromString(p.Name), p.Protocol))
		}
		s.services = []service{{name: name, ports: sp}, {name: name + "-hl", headless: true, ports: sp}}
	}
	switch a {
	case archFrontend:
		s.kind, s.name, s.component, s.tier = "Deployment", pick(g, frontendNames), "frontend", "web"
		s.containers = []corev1.Container{container(s.name, image(s.name), requests("100m", "128Mi"), http, metrics)}
		s.served = []corev1.ContainerPort{http}
		s.replicas = g.between(2, 6)
	case archAPI:
		s.kind, s.component, s.tier = "Deployment", "api", "backend"
		s.name = pick(g, apiNames)
		if productAPI && g.chance(0.6) {
			s.name = ns.product + "-api"
		}
		ports := []corev1.ContainerPort{http}
		if g.chance(0.45) {
			ports = append(ports, cport("grpc", 9090, tcp))
		}
		s.served = ports
		s.containers = []corev1.Container{container(s.name, image(s.name), requests("250m", "256Mi"), append(slices.Clone(ports), metrics)...)}
		s.replicas = g.between(1, 6)
	case archWorker:
		s.kind, s.name, s.component, s.tier = "Deployment", pick(g, workerNames), "worker", "backend"
		s.containers = []corev1.Container{container(s.name, image(s.name), requests("200m", "256Mi"), metrics)}
		s.replicas = g.between(1, 4)
	case archPostgres:
		datastore(pick(g, []string{"postgres", "postgresql", ns.product + "-db"}), "database", "docker.io/library/postgres:16.4", requests("500m", "1Gi"),
			container("postgres-exporter", "quay.io/prometheuscommunity/postgres-exporter:v0.15.0", requests("10m", "32Mi"), cport("metrics", 9187, tcp)),
			cport("postgres", 5432, tcp))
		s.replicas = g.between(1, 3)
	case archMySQL:
		datastore("mysql", "database", "docker.io/library/mysql:8.4.2", requests("500m", "1Gi"),
			container("mysqld-exporter", "docker.io/prom/mysqld-exporter:v0.15.1", requests("10m", "32Mi"), cport("metrics", 9104, tcp)),
			cport("mysql", 3306, tcp))
		s.replicas = g.between(1, 3)
	case archMongo:
		datastore("mongodb", "database", "docker.io/library/mongo:7.0.14", requests("500m", "1Gi"),
			container("mongodb-exporter", "docker.io/percona/mongodb_exporter:0.40.0", requests("10m", "32Mi"), cport("metrics", 9216, tcp)),
			cport("mongodb", 27017, tcp))
		s.replicas = pick(g, []int{1, 3})
	case archRedis:
		datastore(pick(g, []string{"redis", "redis-cache", "redis-sessions"}), "cache", "docker.io/library/redis:7.4.0", requests("100m", "256Mi"),
			container("redis-exporter", "docker.io/oliver006/redis_exporter:v1.62.0", requests("10m", "32Mi"), cport("metrics", 9121, tcp)),
			cport("redis", 6379, tcp))
		s.replicas = g.between(1, 3)
	case archMemcached:
		datastore("memcached", "cache", "docker.io/library/memcached:1.6.29", requests("100m", "256Mi"),
			container("memcached-exporter", "docker.io/prom/memcached-exporter:v0.14.4", requests("10m", "32Mi"), cport("metrics", 9150, tcp)),
			cport("memcached", 11211, tcp))
		s.replicas = g.between(1, 3)
	case archRabbit:
		s.kind, s.name, s.component, s.tier = "StatefulSet", "rabbitmq", "queue", "data"
		ports := []corev1.ContainerPort{cport("amqp", 5672, tcp), cport("management", 15672, tcp)}
		s.containers = []corev1.Container{container("rabbitmq", "docker.io/library/rabbitmq:3.13-management", requests("250m", "512Mi"), append(slices.Clone(ports), cport("metrics", 15692, tcp))...)}
		s.served = ports[:1]
		sp := []corev1.ServicePort{sport("amqp", 5672, intstr.FromString("amqp"), tcp), sport("management", 15672, intstr.FromString("management"), tcp)}
		s.services = []service{{name: "rabbitmq", ports: sp}, {name: "rabbitmq-hl", headless: true, ports: sp}}
		s.replicas = pick(g, []int{1, 3})
	}
	if s.kind == "Deployment" && len(s.served) > 0 {
		var sp []corev1.ServicePort
		for _, p := range s.served {
			target := intstr.FromString(p.Name)
			if g.chance(0.4) {
				target = intstr.FromInt32(p.ContainerPort)
			}
			port := p.ContainerPort
			if p.Name == "http" {
				port = 80
			}
			sp = append(sp, sport(p.Name, port, target, p.Protocol))
		}
		s.services = []service{{name: s.name, ports: sp}}
	}
	s.selector = map[string]string{ns.appKey: s.name}
	if ns.appKey == nameLabel && g.chance(0.5) {
		s.selector["app.kubernetes.io/instance"] = s.name
	}
	s.labels = map[string]string{
		nameLabel:                     s.name,
		"app.kubernetes.io/component": s.component,
		"app.kubernetes.io/part-of":   ns.product,
		"app.kubernetes.io/version":   version,
		"tier":                        s.tier,
		"version":                     version,
		"team":                        ns.team,
	}
	for k, v := range s.selector {
		s.labels[k] = v
	}
	if g.chance(0.5) {
		s.labels["app.kubernetes.io/managed-by"] = "Helm"
	}
	return s
}

// wire decides who calls whom: frontends call APIs, APIs and workers call
// datastores and sometimes APIs of other namespaces of the same
// environment, and some call the internet or fixed partner backends.
func (g *generator) wire() {
	link := func(c, s *workload) {
		if c == s || slices.Contains(c.uses, s) {
			return
		}
		c.uses = append(c.uses, s)
		s.clients = append(s.clients, c)
	}
	apisByEnv := map[string][]*workload{}
	for _, ns := range g.apps {
		var fronts, apis, workers, stores []*workload
		for _, w := range ns.workloads {
			switch w.component {
			case "frontend":
				fronts = append(fronts, w)
			case "api":
				apis = append(apis, w)
			case "worker":
				workers = append(workers, w)
			default:
				stores = append(stores, w)
			}
		}
		apisByEnv[ns.env] = append(apisByEnv[ns.env], apis...)
		for _, f := range fronts {
			if len(apis) > 0 {
				link(f, apis[0])
				if len(apis) > 1 && g.chance(0.5) {
					link(f, pick(g, apis[1:]))
				}
			}
		}
		for _, a := range apis {
			for _, s := range stores {
				if g.chance(0.6) {
					link(a, s)
				}
			}
			if len(apis) > 1 && g.chance(0.2) {
				link(a, pick(g, apis))
			}
			a.internet = g.chance(0.15)
			a.partner = g.chance(0.1)
		}
		for _, w := range workers {
			for _, s := range stores {
				if s.component == "queue" || g.chance(0.4) {
					link(w, s)
				}
			}
			w.internet = g.chance(0.35)
		}
		clients := append(slices.Clone(apis), workers...)
		for _, s := range stores {
			if len(s.clients) == 0 && len(clients) > 0 {
				link(pick(g, clients), s)
			}
		}
	}
	for _, ns := range g.apps {
		for _, w := range ns.workloads {
			if (w.component != "api" && w.component != "worker") || !g.chance(0.15) {
				continue
			}
			var same, other []*workload
			for _, a := range apisByEnv[ns.env] {
				switch {
				case a.ns == ns:
				case a.ns.team == ns.team:
					same = append(same, a)
				default:
					other = append(other, a)
				}
			}
			switch {
			case len(same) > 0 && (len(other) == 0 || g.chance(0.6)):
				link(w, pick(g, same))
			case len(other) > 0:
				link(w, pick(g, other))
			}
		}
	}
}
