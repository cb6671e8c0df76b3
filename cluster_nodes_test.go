package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"nudges/bot"
	"nudges/store"
	"nudges/store/kv"
	"nudges/store/kv/etcdkv"
	"nudges/webhooks/twilio"
	"nudges/webhooks/twilio/twiliotest"
)

// node is one `nudges` process with its etcd member.
type node struct {
	name, addr, client string
	env                []string
	log                string
	cmd                *exec.Cmd // nil while it is down
	runs               int
}

// cluster is the processes of one etcd+embed cluster.
type cluster struct {
	bin       string
	token     string
	nodes     []*node
	callbacks map[string]bool // sids whose status callback got a 200
}

func startCluster(t *testing.T, bin string, tw *twiliotest.Server, n int) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{bin: bin, token: tw.AuthToken, callbacks: map[string]bool{}}
	var peers, members []string
	for i := range n {
		peers = append(peers, "http://"+freeAddr(t))
		members = append(members, fmt.Sprintf("n%d=%s", i+1, peers[i]))
	}
	for i := range n {
		nd := &node{name: fmt.Sprintf("n%d", i+1), addr: freeAddr(t), client: "http://" + freeAddr(t),
			log: filepath.Join(dir, fmt.Sprintf("n%d.log", i+1))}
		storeURL := fmt.Sprintf("etcd+embed://%s?name=%s&peer=%s&client=%s&cluster=%s&state=new",
			filepath.Join(dir, nd.name), nd.name, peers[i], nd.client, strings.Join(members, ","))
		nd.env = append(os.Environ(),
			"TWILIO_ACCOUNT_SID="+tw.AccountSID, "TWILIO_AUTH_TOKEN="+tw.AuthToken,
			"TWILIO_FROM_NUMBER="+crashNumber, "TWILIO_API_BASE="+tw.URL,
			"NUDGES_SEND_RATE="+strconv.Itoa(clusterRate), "NUDGES_STORE="+storeURL, "NUDGES_ADDR="+nd.addr,
			"NUDGES_PUBLIC_URL=http://"+nd.addr, "NUDGES_DEFAULT_LOCALE=en", "NUDGES_SEND_WINDOW=off")
		c.nodes = append(c.nodes, nd)
	}
	for i := range c.nodes {
		c.start(t, i)
	}
	for i := range c.nodes {
		c.waitReady(t, i)
	}
	return c
}

// start starts node i's process (its log appended to).
func (c *cluster) start(t *testing.T, i int) {
	t.Helper()
	nd := c.nodes[i]
	logf, err := os.OpenFile(nd.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	fmt.Fprintf(logf, "--- run %d\n", nd.runs+1)
	cmd := exec.Command(c.bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = nd.env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	nd.cmd, nd.runs = cmd, nd.runs+1
	t.Cleanup(func() {
		if nd.cmd == cmd {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
}

func (c *cluster) waitReady(t *testing.T, i int) {
	t.Helper()
	nd := c.nodes[i]
	waitFor(t, 60*time.Second, nd.name+" ready (log: "+nd.log+")", func() bool {
		resp, err := http.Get("http://" + nd.addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// restart starts node i again: its member rejoins with its data.
func (c *cluster) restart(t *testing.T, i int) {
	t.Helper()
	c.start(t, i)
	c.waitReady(t, i)
}

// live is a node that is up.
func (c *cluster) live() int {
	for i, nd := range c.nodes {
		if nd.cmd != nil {
			return i
		}
	}
	return -1
}

// etcd is a client of a live node's member, closed at the end of the test.
func (c *cluster) etcd(t *testing.T) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{c.nodes[c.live()].client},
		DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// store is the shared state, through a live node's member.
func (c *cluster) store(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.OpenKV(etcdkv.New(c.etcd(t), etcdkv.Options{MaxTxnOps: etcdkv.DefaultMemberMaxTxnOps}))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// seed adds the active client YOGA and n subscribers, 100 a transaction.
func (c *cluster) seed(t *testing.T, n int) []bot.Phone {
	t.Helper()
	db := c.store(t)
	now := time.Now().UTC()
	err := db.Update(func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: crashClient, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive,
			PlanID: p.ID, PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now, Locale: bot.English})
	})
	var subs []bot.Phone
	for from := 0; err == nil && from < n; from += 100 {
		err = db.Update(func(tx bot.Tx) error {
			for i := from; i < min(from+100, n); i++ {
				phone := bot.Phone(fmt.Sprintf("+1555200%04d", i))
				if err := tx.PutConversation(&bot.Conversation{Phone: phone, Locale: bot.English, FirstSeen: now, LastSeen: now}); err != nil {
					return err
				}
				if _, err := tx.Subscribe("YOGA", phone, now); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		subs = append(subs, bot.Phone(fmt.Sprintf("+1555200%04d", i)))
	}
	return subs
}

// broadcast drafts text through one process and confirms it through another.
func (c *cluster) broadcast(t *testing.T, draft, confirm int, body string) {
	t.Helper()
	sid := fmt.Sprintf("SMdraft%d", time.Now().UnixNano())
	text(t, c.nodes[draft].addr, c.token, crashClient, body, sid+"a")
	if reply := text(t, c.nodes[confirm].addr, c.token, crashClient, "CONFIRM", sid+"b"); !strings.Contains(reply, "Sending") &&
		!strings.Contains(reply, "sending") {
		t.Fatalf("CONFIRM answered %q", reply)
	}
}

// leaderOrNone is the node whose process holds the dispatcher's election
// now (its key is the oldest and it logged leading in that term), or -1.
func (c *cluster) leaderOrNone() int {
	k := c.electionKey()
	if k == nil {
		return -1
	}
	for i, nd := range c.nodes {
		if nd.cmd == nil || !strings.HasSuffix(string(k.Value), " "+nd.addr) {
			continue
		}
		if logged, _ := os.ReadFile(nd.log); strings.Contains(string(logged), fmt.Sprintf("term=%d\n", k.CreateRevision)) {
			return i
		}
	}
	return -1
}

// electionKey is the dispatcher election's oldest key, read through the
// first live member that answers; nil if none does or nobody campaigns.
func (c *cluster) electionKey() *mvccpb.KeyValue {
	for _, nd := range c.nodes {
		if nd.cmd == nil {
			continue
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{nd.client}, DialTimeout: time.Second, Logger: zap.NewNop()})
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := cli.Get(ctx, etcdkv.DefaultPrefix+".leader/dispatcher/", clientv3.WithFirstCreate()...)
		cancel()
		cli.Close()
		if err == nil && len(resp.Kvs) > 0 {
			return resp.Kvs[0]
		}
	}
	return nil
}

func (c *cluster) leader(t *testing.T) int {
	t.Helper()
	waitFor(t, 15*time.Second, "a dispatcher", func() bool { return c.leaderOrNone() >= 0 })
	return c.leaderOrNone()
}

// follower is a live node that neither dispatches nor leads etcd's Raft.
func (c *cluster) follower(t *testing.T) int {
	t.Helper()
	cli := c.etcd(t)
	dispatcher := c.leader(t)
	for i, nd := range c.nodes {
		if nd.cmd == nil || i == dispatcher {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := cli.Status(ctx, nd.client)
		cancel()
		if err == nil && st.Leader != st.Header.MemberId {
			return i
		}
	}
	t.Fatal("no live node is an etcd follower other than the dispatcher")
	return -1
}

// post is one signed SMS webhook to node i.
func (c *cluster) post(i int, token, from, body, sid string) (int, string, error) {
	form := url.Values{"MessageSid": {sid}, "From": {from}, "To": {crashNumber}, "Body": {body}, "NumMedia": {"0"}}
	return c.postForm(i, token, twilio.PathSMS, form)
}

var clusterHTTP = &http.Client{Timeout: 10 * time.Second}

func (c *cluster) postForm(i int, token, path string, form url.Values) (int, string, error) {
	u := "http://" + c.nodes[i].addr + path
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Sign(token, u, form))
	resp, err := clusterHTTP.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), err
}

// statusCallbacks posts 'delivered' for every fifth message the fake
// accepted, each to a random live process, and returns the outbox rows by
// sid afterwards.
func (c *cluster) statusCallbacks(t *testing.T, tw *twiliotest.Server) map[string]bot.OutMessage {
	t.Helper()
	for j, r := range tw.Requests() {
		if r.SID == "" || j%5 != 0 {
			continue
		}
		i := rand.IntN(len(c.nodes))
		for c.nodes[i].cmd == nil {
			i = rand.IntN(len(c.nodes))
		}
		form := url.Values{"MessageSid": {r.SID}, "MessageStatus": {"delivered"}}
		if status, _, err := c.postForm(i, c.token, twilio.PathStatus, form); err == nil && status == 200 {
			c.callbacks[r.SID] = true
		}
	}
	bySID := map[string]bot.OutMessage{}
	for _, m := range c.outbox(t) {
		if m.SID != "" {
			bySID[m.SID] = m
		}
	}
	return bySID
}

// outbox is every outbox row.
func (c *cluster) outbox(t *testing.T) []bot.OutMessage {
	t.Helper()
	var rows []bot.OutMessage
	err := c.store(t).KV().View(func(tx kv.Tx) error {
		return tx.Bucket([]byte("outbox")).ForEach(func(_, v []byte) error {
			var m bot.OutMessage
			rows = append(rows, m)
			return json.Unmarshal(v, &rows[len(rows)-1])
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
