// Package schedule decides when casewire asks USCIS about each tracked receipt and runs the
// poller that does it. It sits between the store and the USCIS client in the flow: it claims
// due receipts from the database with row leases, fetches them through uscis.Client, hands
// each answer to change detection, and writes the next check time by the policy in
// POLICY.md. It also holds the database-backed quota and pace shared by every replica.
//
// The schedule lives only in the database (CaseState.next_check_time, refresh_requested,
// lease_until, lease_owner), so a restart resumes where it stopped and several processes on
// one PostgreSQL share the work without fetching one receipt twice for one slot.
package schedule
