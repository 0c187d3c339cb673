import { EventStore1732400000000 } from './1732400000000-event-store.js';
import { EventStoreSnapshots1797000000000 } from './1797000000000-snapshots.js';

/** Include these in a service's DataSource `migrations`; the schema is never synchronised. */
export const eventStoreMigrations = [EventStore1732400000000, EventStoreSnapshots1797000000000];
