// Package storagetest is the conformance suite every admin.Storage adapter
// passes, first-party or third-party.
//
// # Running the suite
//
// An adapter runs it from a three-line test, giving a function that returns
// a new, empty store on each call:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) admin.Storage {
//			s, err := mystore.New(newTestClient(t), nil)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite calls the function once per subtest and closes the store when
// the subtest ends; release anything else the function created (a temporary
// directory, a database schema) with t.Cleanup. Run the suite with -race:
// several subtests hammer one store from many goroutines.
//
// Benchmarks come the same way:
//
//	func BenchmarkStore(b *testing.B) {
//		storagetest.RunBenchmarks(b, func(b *testing.B) admin.Storage { ... })
//	}
//
// Each benchmark after GetProject reports its cost as a multiple of
// GetProject's, measured in the same run ("x-GetProject"), so that figures
// from noisy machines compare.
//
// # What is checked
//
// Every rule of the admin.Storage doc comment, for every kind of object:
//
//   - Create, Get, Update, Delete and the lookups by key; ErrNotFound for
//     missing objects, naming the id; ErrAlreadyExists for a taken id and
//     each unique key (User.Email, Team.Slug, Project.Slug across teams,
//     Deployment (ProjectID, Slug), TeamMember (TeamID, UserID),
//     APIToken.Hash), on Create and on Update;
//   - optimistic concurrency: a stale or future Version gives ErrConflict
//     and changes nothing; a successful Update sets obj.Version to the
//     stored version + 1 and leaves ids, parents and CreatedAt alone; many
//     goroutines incrementing one counter with retries lose no update;
//   - listings: order by id, Limit, the After cursor (compared, not looked
//     up), Desc, walking every page without gaps or duplicates; every filter
//     field alone and combined; CountTeams and CountProjects;
//   - values: times written in other zones and at extreme instants (before
//     1970, after 2262) read back equal and in UTC at microsecond precision;
//     nil time pointers stay nil and can be set and cleared; maps and slices
//     (SourceConfig, EnvVars, EnvVarOverrides, Metadata) read back non-nil
//     and exactly as written, binary sealed values included; returned objects
//     share nothing with the store;
//   - deletes: DeleteTeam refuses while the team has projects and removes
//     memberships; DeleteProject and DeleteDeployment remove their builds and
//     server records; DeleteUser removes memberships and tokens;
//   - the last owner: UpdateMember, RemoveMember and DeleteUser refuse with
//     ErrConflict to leave a team without an owner, also when two such
//     changes race; CreateTeamWithOwner is all or nothing;
//   - the build queue: ClaimBuild takes the oldest queued build (QueuedAt,
//     then id) whose deployment has no build in flight (claimed and without
//     CompletedAt, whatever its status), sets building, StartedAt and
//     ClaimedBy and bumps Version; concurrent claimers take every build
//     exactly once and never run two builds of one deployment;
//     ListBuilds filters by InFlight and CompletedAfter.
//
// Errors must wrap the admin sentinels (errors.Is) and name the operation: a
// bare admin.ErrNotFound fails the suite.
package storagetest
