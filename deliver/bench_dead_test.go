package deliver

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// addTenant adds a tenant with one endpoint at each URL and returns its index in w.tenants.
func (w *benchWorld) addTenant(b *testing.B, urls []string) int {
	ctx := context.Background()
	ten, err := w.st.Ent.Tenant.Create().SetName(fmt.Sprint("firm ", len(w.tenants))).Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	w.tenants = append(w.tenants, ten.ID)
	for _, u := range urls {
		_, _, err := w.svc.CreateEndpoint(ctx, ten.ID, EndpointSpec{URL: u, Enabled: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	return len(w.tenants) - 1
}

// refusedURL is a loopback address nothing listens on: connections are refused.
func refusedURL(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/down"
}

// hangingURL is a loopback listener that accepts connections and never answers.
func hangingURL(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	b.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String() + "/hang"
}

// deadEndpoints is the number of dead endpoints of BenchmarkDeliverDeadEndpoints.
const deadEndpoints = 1000

// deadRunEvents is how many healthy-tenant events each run of it commits, at 200 a second.
const deadRunEvents = 2000

// runHealthy commits deadRunEvents events at 200 a second round robin over the first ten
// tenants, calling between before each, and returns the p99 of healthy deliveries in ms.
func (w *benchWorld) runHealthy(b *testing.B, between func(i int)) float64 {
	w.start(b)
	w.warmUp(b)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	healthy := int64(0)
	var wg sync.WaitGroup
	for i := range deadRunEvents {
		<-tick.C
		between(i)
		wg.Go(func() { w.emit(b, []int{i % 10}, 1) })
		if i%10 != 0 {
			healthy++
		}
	}
	wg.Wait()
	w.waitAll(b, healthy)
	_ = w.svc.Stop(context.Background())
	w.mu.Lock()
	defer w.mu.Unlock()
	return quantile(w.lat, 0.99)
}

// warmUp gives each healthy endpoint a success before the measured run, as endpoints in
// use have, then forgets what it measured.
func (w *benchWorld) warmUp(b *testing.B) {
	w.emit(b, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1)
	w.waitAll(b, 9)
	time.Sleep(1100 * time.Millisecond) // the endpoint cache's lifetime
	w.mu.Lock()
	w.lat = w.lat[:0]
	w.mu.Unlock()
	w.got.Store(0)
}

// BenchmarkDeliverDeadEndpoints measures how much 1,000 dead endpoints raise the p99 of
// healthy ones at 200 events a second. Each run is 2,000 events (10 s), once on its own
// and once beside an eleventh tenant whose 1,000 endpoints are dead: half refuse the
// connection and half accept it and never answer (the attempt timeout is 5 s). One event
// of that tenant, committed as the run starts, fans out to all 1,000. Each iteration is
// one pair of runs (about 30 s); with -benchtime 3x or more it reports the median p99 of
// each kind, since one run's p99 is only its twentieth-slowest delivery.
func BenchmarkDeliverDeadEndpoints(b *testing.B) {
	cfg := Config{AllowInsecure: true, Workers: 200, Timeout: 5 * time.Second,
		FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond}
	var alone, beside []float64
	for range b.N {
		alone = append(alone, newBenchWorldCfg(b, cfg).runHealthy(b, func(int) {}))
		w := newBenchWorldCfg(b, cfg)
		urls := make([]string, deadEndpoints)
		for i := range urls {
			if i%2 == 0 {
				urls[i] = refusedURL(b)
			} else {
				urls[i] = hangingURL(b)
			}
		}
		dead := w.addTenant(b, urls)
		beside = append(beside, w.runHealthy(b, func(i int) {
			if i == 0 {
				go w.emit(b, []int{dead}, 1)
			}
		}))
	}
	b.Logf("p99 alone %v ms, beside dead endpoints %v ms", alone, beside)
	base, withDead := median(alone), median(beside)
	b.ReportMetric(base, "p99-alone-ms")
	b.ReportMetric(withDead, "p99-dead-ms")
	b.ReportMetric(100*(withDead-base)/base, "p99-rise-%")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkDeliverWaitingMemory commits 200,000 events, in transactions of 100, for one
// endpoint whose receiver is down (connections refused), with the workers running, and
// reports the heap in use after a garbage collection, and the RSS, once 10,000, 50,000,
// 100,000 and 200,000 deliveries wait. Transactions of 100 are as large as change
// detection writes; with 1,000 the SQL text of one bulk insert is about 100 kB, and pgx
// keeps one in each connection's statement cache. Its size does not depend on b.N: run
// with -benchtime 1x.
func BenchmarkDeliverWaitingMemory(b *testing.B) {
	for range b.N {
		w := newBenchWorld(b)
		down := w.addTenant(b, []string{refusedURL(b)})
		w.start(b)
		heap := func() float64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(m.HeapInuse) / (1 << 20)
		}
		rss := func() float64 {
			statm, _ := os.ReadFile("/proc/self/statm")
			var size, res float64
			_, _ = fmt.Sscan(string(statm), &size, &res)
			return res * float64(os.Getpagesize()) / (1 << 20)
		}
		b.ReportMetric(heap(), "heap-0-MiB")
		for i := 1; i <= 2000; i++ {
			w.emit(b, []int{down}, 100)
			switch i {
			case 100, 500, 1000, 2000:
				b.ReportMetric(heap(), fmt.Sprintf("heap-%dk-MiB", i/10))
				b.ReportMetric(rss(), fmt.Sprintf("rss-%dk-MiB", i/10))
			}
		}
		b.ReportMetric(0, "ns/op")
	}
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
