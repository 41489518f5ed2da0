// Set-up for every test file: no app built by buildTestApp may have given an answer http/schemas does not describe.
import { afterAll, expect } from 'vitest';
import { undocumentedAnswers } from './app.js';

afterAll(() => {
  expect(undocumentedAnswers, 'answers outside the API schemas (see http/schemas/)').toEqual([]);
});
