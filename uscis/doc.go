// Package uscis is the client of the USCIS Case Status API: it obtains OAuth 2.0 tokens,
// keeps to one global pace and one daily quota, retries transient faults and turns every
// answer into a typed Result. Only a well-formed 200 answer becomes a CaseStatus; every
// other outcome is an error kind that callers must never store as a status.
//
// The package knows the upstream's wire format and nothing about tenants, events or the
// database. Pace and quota are interfaces (Pacer, QuotaStore) so that several processes
// can share them through the database; RatePacer and MemoryQuota are the in-process
// implementations.
package uscis
