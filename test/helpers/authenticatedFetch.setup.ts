import { installAuthenticatedFetch } from './auth';

// Requests to a started test server carry its admin token (see test/helpers/auth.ts).
installAuthenticatedFetch();
