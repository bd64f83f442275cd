// Catalogue of the FAULT area (CASES.md, issue 11): reproductions of real integration faults.
// In: the scenario files of fixtures/scenarios/ (each names its FAULT id). Out: one case per
// scenario, in id order: the scenario's title and requirement, its customer symptom as the
// source. The scenario file is the single description of a fault; this only lists it.
import { listScenarios } from '../fault/lib/load';
import { defineCases } from './types';

export const FAULT_CASES = defineCases(
  'fault',
  listScenarios().map((s) => ({
    id: s.case,
    title: s.title,
    requirement: s.requirement,
    source: `issue 11 (fault reproduction), scenario ${s.name}: ${s.symptom.replace(/\s+/g, ' ')}`,
    level: 'must' as const,
    profiles: ['default', 'min-spec'] as const,
  })),
);
