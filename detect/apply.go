package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/matter"
	"github.com/casewire/casewire/ent/trackedreceipt"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/uscis"
)

// draft is an event before it is given to each tenant.
type draft struct {
	typ       string
	source    Source
	uscisTime time.Time
	dateRaw   string
	titleEN   string
	descEN    string
	titleES   string
	descES    string
	formType  string
	modRaw    string
	subRaw    string
	status    classify.Result
	previous  *classify.Result
}

// apply compares a status answer with the case state, stores it and writes its events.
func (d *Detector) apply(ctx context.Context, tx *store.Tx, cs *ent.CaseState, s *uscis.CaseStatus, src Source) (Outcome, []string, error) {
	now := d.now().UTC()
	r := d.classify.ClassifyForm(s.TitleEN, s.DescriptionEN, s.FormType)
	r.FormType = classify.KeepFormType(cs.FormType, r.FormType)
	out := Outcome{Kind: uscis.KindStatus, Status: r}
	fp := fingerprint(s)
	typ := changeType(cs, s, fp)
	upd := tx.Ent.CaseState.UpdateOne(cs).SetCheckState(CheckOK).SetCheckError("").
		SetConsecutiveErrors(0).SetLastCheckTime(now)
	if typ == "" {
		if err := upd.Exec(ctx); err != nil {
			return out, nil, fmt.Errorf("detect: record check: %w", err)
		}
		return out, nil, nil
	}
	out.Type = typ
	if err := storeAnswer(upd, s, r, fp, now).Exec(ctx); err != nil {
		return out, nil, fmt.Errorf("detect: store answer: %w", err)
	}
	if r.Category == classify.Unknown {
		d.unknown.Inc()
		d.log.WarnContext(ctx, "unknown USCIS status", "receipt", receipt.Mask(cs.ID),
			"title", s.TitleEN)
	}
	drafts := historyDrafts(d.classify, unseenHistory(cs.HistoryJSON, s.History))
	drafts = append(drafts, statusDraft(cs, s, r, typ, src))
	events, tenants, err := fanOut(ctx, tx, cs.ID, drafts, now)
	if err != nil {
		return out, nil, err
	}
	if d.outbox != nil && len(events) > 0 {
		if err := d.outbox.Enqueue(ctx, tx, events); err != nil {
			return out, nil, fmt.Errorf("detect: enqueue deliveries: %w", err)
		}
	}
	out.Events = events
	return out, tenants, nil
}

// changeType decides what kind of event an answer is, "" for none.
func changeType(cs *ent.CaseState, s *uscis.CaseStatus, fp string) string {
	switch {
	case cs.Fingerprint == "":
		return TypeBaseline
	case cs.Fingerprint == fp:
		return ""
	case classify.Fold(cs.TitleEn) != classify.Fold(s.TitleEN),
		uscis.PlainText(cs.DescriptionEn) != s.DescriptionEN:
		return TypeStatusChanged
	}
	return TypeStatusUpdated
}

// storeAnswer sets the answer's columns on the case state.
func storeAnswer(u *ent.CaseStateUpdateOne, s *uscis.CaseStatus, r classify.Result, fp string, now time.Time) *ent.CaseStateUpdateOne {
	hist, _ := json.Marshal(s.History)
	u.SetFingerprint(fp).SetHistoryJSON(string(hist)).SetLastChangeTime(now).
		SetTitleEn(s.TitleEN).SetDescriptionEn(s.DescriptionENRaw).
		SetTitleEs(s.TitleES).SetDescriptionEs(s.DescriptionESRaw).
		SetFormType(r.FormType).SetModifiedDateRaw(s.ModifiedRaw).
		SetSubmittedDateRaw(s.SubmittedRaw).
		SetCategory(string(r.Category)).SetOutcome(string(r.Outcome)).
		SetActionRequired(r.ActionRequired).SetMatch(string(r.Match)).
		SetCanonicalTitle(r.CanonicalTitle)
	if s.Modified.IsZero() {
		return u.ClearUscisModifyTime()
	}
	return u.SetUscisModifyTime(s.Modified.UTC())
}

// statusDraft is the observed event of an answer.
func statusDraft(cs *ent.CaseState, s *uscis.CaseStatus, r classify.Result, typ string, src Source) draft {
	dr := draft{typ: typ, source: src, uscisTime: s.Modified, dateRaw: s.ModifiedRaw,
		titleEN: s.TitleEN, descEN: s.DescriptionENRaw, titleES: s.TitleES,
		descES: s.DescriptionESRaw, formType: r.FormType, modRaw: s.ModifiedRaw,
		subRaw: s.SubmittedRaw, status: r}
	if typ == TypeStatusChanged {
		dr.previous = &classify.Result{Category: classify.Category(cs.Category),
			Outcome: classify.Outcome(cs.Outcome), ActionRequired: cs.ActionRequired,
			Match: classify.Match(cs.Match), CanonicalTitle: cs.CanonicalTitle}
	}
	return dr
}

// unseenHistory returns the entries of next not in the stored history, oldest first; entries
// with the same date keep USCIS's order.
func unseenHistory(storedJSON string, next []uscis.HistoryEntry) []uscis.HistoryEntry {
	var stored []uscis.HistoryEntry
	_ = json.Unmarshal([]byte(storedJSON), &stored)
	seen := map[string]int{}
	for _, h := range stored {
		seen[historyKey(h)]++
	}
	var out []uscis.HistoryEntry
	for _, h := range next {
		if k := historyKey(h); seen[k] > 0 {
			seen[k]--
			continue
		}
		out = append(out, h)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

func historyKey(h uscis.HistoryEntry) string { return h.DateRaw + "\x00" + h.TextEN }

// historyDrafts turns history entries into history events.
func historyDrafts(c *classify.Classifier, hist []uscis.HistoryEntry) []draft {
	out := make([]draft, 0, len(hist))
	for _, h := range hist {
		out = append(out, draft{typ: TypeHistory, source: SourceUSCISHistory,
			uscisTime: h.Date, dateRaw: h.DateRaw, descEN: h.TextEN, descES: h.TextES,
			status: c.Classify("", h.TextEN)})
	}
	return out
}

// fanOut writes the drafts as events of every tenant tracking the receipt. Tenants are
// visited in id order so that concurrent writers lock tenant rows in one order.
func fanOut(ctx context.Context, tx *store.Tx, number string, drafts []draft, now time.Time) ([]*ent.Event, []string, error) {
	trs, err := tx.Ent.TrackedReceipt.Query().
		Where(trackedreceipt.ReceiptNumber(number), trackedreceipt.UntrackTimeIsNil()).
		Order(ent.Asc(trackedreceipt.FieldTenantID)).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("detect: read trackers: %w", err)
	}
	external, err := matterExternalIDs(ctx, tx, trs)
	if err != nil {
		return nil, nil, err
	}
	var builders []*ent.EventCreate
	var tenants []string
	for _, tr := range trs {
		n := int64(len(drafts))
		feed, err := nextFeedSeq(ctx, tx, tr.TenantID, n)
		if err != nil {
			return nil, nil, err
		}
		tr, err = tx.Ent.TrackedReceipt.UpdateOne(tr).AddEventSeq(n).Save(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("detect: receipt sequence: %w", err)
		}
		for i, dr := range drafts {
			off := n - int64(i) - 1
			b := eventCreate(tx.Ent, dr, now).SetTenantID(tr.TenantID).
				SetReceiptNumber(number).SetFeedSeq(feed - off).SetSequence(tr.EventSeq - off).
				SetMatterID(tr.MatterID).SetMatterExternalID(external[tr.MatterID]).
				SetClientReference(tr.ClientReference).SetLabels(tr.Labels)
			builders = append(builders, b)
		}
		tenants = append(tenants, tr.TenantID)
	}
	events, err := createEvents(ctx, tx, builders)
	return events, tenants, err
}

// matterExternalIDs maps the matters of the trackers to their external ids.
func matterExternalIDs(ctx context.Context, tx *store.Tx, trs []*ent.TrackedReceipt) (map[string]string, error) {
	var ids []string
	for _, tr := range trs {
		if tr.MatterID != "" && !slices.Contains(ids, tr.MatterID) {
			ids = append(ids, tr.MatterID)
		}
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	ms, err := tx.Ent.Matter.Query().Where(matter.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("detect: read matters: %w", err)
	}
	for _, m := range ms {
		out[m.ID] = m.ExternalID
	}
	return out, nil
}

// eventCreate fills the tenant-independent columns of an event.
func eventCreate(c *ent.Client, dr draft, now time.Time) *ent.EventCreate {
	b := c.Event.Create().SetType(dr.typ).SetSource(string(dr.source)).SetObserveTime(now).
		SetUscisDateRaw(dr.dateRaw).
		SetTitleEn(dr.titleEN).SetDescriptionEn(dr.descEN).
		SetTitleEs(dr.titleES).SetDescriptionEs(dr.descES).
		SetFormType(dr.formType).SetModifiedDateRaw(dr.modRaw).SetSubmittedDateRaw(dr.subRaw).
		SetCategory(string(dr.status.Category)).SetOutcome(string(dr.status.Outcome)).
		SetActionRequired(dr.status.ActionRequired).SetMatch(string(dr.status.Match)).
		SetCanonicalTitle(dr.status.CanonicalTitle)
	if !dr.uscisTime.IsZero() {
		b.SetUscisTime(dr.uscisTime.UTC())
	}
	if p := dr.previous; p != nil {
		b.SetPreviousCategory(string(p.Category)).SetPreviousOutcome(string(p.Outcome)).
			SetPreviousActionRequired(p.ActionRequired).SetPreviousMatch(string(p.Match)).
			SetPreviousCanonicalTitle(p.CanonicalTitle)
	}
	return b
}

// eventChunk bounds the rows of one insert, to stay under the databases' parameter limits.
const eventChunk = 300

func createEvents(ctx context.Context, tx *store.Tx, builders []*ent.EventCreate) ([]*ent.Event, error) {
	var out []*ent.Event
	for chunk := range slices.Chunk(builders, eventChunk) {
		evs, err := tx.Ent.Event.CreateBulk(chunk...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("detect: write events: %w", err)
		}
		out = append(out, evs...)
	}
	return out, nil
}

// nextFeedSeq takes n positions in the tenant's feed and returns the last one. Updating the
// tenant row locks it until commit, so feed positions follow the order of commits.
func nextFeedSeq(ctx context.Context, tx *store.Tx, tenant string, n int64) (int64, error) {
	t, err := tx.Ent.Tenant.UpdateOneID(tenant).AddEventSeq(n).Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("detect: feed sequence: %w", err)
	}
	return t.EventSeq, nil
}
