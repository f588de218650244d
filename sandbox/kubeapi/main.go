// Command kubeapi is the sandbox's Kubernetes control plane in one process: an embedded etcd,
// the real kube-apiserver, and the two kube-controller-manager controllers that namespace
// deletion and ownerReferences need (the namespace controller and the garbage collector).
//
//	kubeapi --etcd-dir DIR --etcd-client-url URL --etcd-peer-url URL --kubeconfig FILE -- <kube-apiserver flags>
//
// The kube-apiserver flags are those of the real command; --kubeconfig is what the controllers
// use to reach it. The process runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	basecompatibility "k8s.io/component-base/compatibility"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	apiserveroptions "k8s.io/kubernetes/cmd/kube-apiserver/app/options"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	controllermanageroptions "k8s.io/kubernetes/cmd/kube-controller-manager/app/options"
	"k8s.io/kubernetes/cmd/kube-controller-manager/names"
)

type settings struct {
	etcdDir, etcdClientURL, etcdPeerURL, kubeconfig string
	apiserverArgs                                   []string
}

func parseSettings(args []string) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("kubeapi", flag.ContinueOnError)
	fs.StringVar(&s.etcdDir, "etcd-dir", "", "etcd's data directory")
	fs.StringVar(&s.etcdClientURL, "etcd-client-url", "http://127.0.0.1:2379", "where etcd serves clients")
	fs.StringVar(&s.etcdPeerURL, "etcd-peer-url", "http://127.0.0.1:2380", "where etcd serves peers")
	fs.StringVar(&s.kubeconfig, "kubeconfig", "", "kubeconfig the controllers use")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if s.etcdDir == "" || s.kubeconfig == "" {
		return s, errors.New("--etcd-dir and --kubeconfig are required")
	}
	s.apiserverArgs = fs.Args()
	return s, nil
}

// startEtcd starts a single-member etcd and waits until it serves.
func startEtcd(s settings) (*embed.Etcd, error) {
	clientURL, err := url.Parse(s.etcdClientURL)
	if err != nil {
		return nil, err
	}
	peerURL, err := url.Parse(s.etcdPeerURL)
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Dir = s.etcdDir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*clientURL}, []url.URL{*clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peerURL}, []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "warn"
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "5m"
	etcd, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-etcd.Server.ReadyNotify():
		return etcd, nil
	case <-time.After(60 * time.Second):
		etcd.Close()
		return nil, errors.New("etcd did not become ready within 60s")
	}
}

// prepareAPIServer parses the kube-apiserver flags and returns a function that runs it.
func prepareAPIServer(ctx context.Context, args []string) (func() error, error) {
	options := apiserveroptions.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, set := range options.Flags().FlagSets {
		fs.AddFlagSet(set)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	registry := options.GenericServerRunOptions.ComponentGlobalsRegistry
	if err := registry.Set(); err != nil {
		return nil, err
	}
	if err := logsapi.ValidateAndApply(options.Logs, registry.FeatureGateFor(basecompatibility.DefaultKubeComponent)); err != nil {
		return nil, err
	}
	completed, err := options.Complete(ctx)
	if err != nil {
		return nil, err
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return nil, utilerrors.NewAggregate(errs)
	}
	return func() error { return apiserver.Run(ctx, completed) }, nil
}

// waitForAPIServer polls /readyz through the controllers' kubeconfig.
func waitForAPIServer(ctx context.Context, kubeconfig string) error {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("kube-apiserver was not ready within 120s")
}

// runControllers runs the namespace controller and the garbage collector, without serving.
func runControllers(ctx context.Context, kubeconfig string) error {
	options, err := controllermanageroptions.NewKubeControllerManagerOptions()
	if err != nil {
		return err
	}
	options.Generic.ClientConnection.Kubeconfig = kubeconfig
	options.Generic.Controllers = []string{names.NamespaceController, names.GarbageCollectorController}
	options.Generic.LeaderElection.LeaderElect = false
	options.SecureServing.BindPort = 0
	if err := options.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	config, err := options.Config(ctx, controllermanager.KnownControllers(),
		controllermanager.ControllersDisabledByDefault(), controllermanager.ControllerAliases())
	if err != nil {
		return err
	}
	return controllermanager.Run(ctx, config.Complete())
}

func run(ctx context.Context, s settings) error {
	etcd, err := startEtcd(s)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()
	runAPIServer, err := prepareAPIServer(ctx, s.apiserverArgs)
	if err != nil {
		return fmt.Errorf("kube-apiserver: %w", err)
	}
	failed := make(chan error, 2)
	go func() { failed <- fmt.Errorf("kube-apiserver: %w", runAPIServer()) }()
	go func() {
		if err := waitForAPIServer(ctx, s.kubeconfig); err != nil {
			failed <- err
			return
		}
		failed <- fmt.Errorf("controllers: %w", runControllers(ctx, s.kubeconfig))
	}()
	select {
	case <-ctx.Done():
		return nil
	case err := <-failed:
		return err
	case err := <-etcd.Err():
		return fmt.Errorf("etcd: %w", err)
	}
}

func main() {
	s, err := parseSettings(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeapi:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, s); err != nil {
		klog.Flush()
		fmt.Fprintln(os.Stderr, "kubeapi:", err)
		os.Exit(1)
	}
}
