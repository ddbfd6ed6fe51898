#!/usr/bin/env node
import { execute } from '@oclif/core';

// React (the REPL's Ink views) picks its build by NODE_ENV, and unset means its development
// build: prop checks and copies at every render, about three times the cost of a render. A user
// who sets NODE_ENV keeps it; oclif treats production as it treats unset.
process.env.NODE_ENV ??= 'production';

await execute({ dir: import.meta.url });
