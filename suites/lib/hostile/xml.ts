// Hostile XML bodies for the XML cases and any suite that sends XML. In: nothing. Out:
// HOSTILE_XML — rows of { name, attack, rule, fetches, make(root, { url, limits }) }, every XML
// attack of issue 10 in several forms, generated in code at run time, with the URL an entity,
// DTD, XInclude or xml:base points at as a parameter (a case points it at a canary server) —
// XML_ATTACKS, hostileXmlOf(attack) and DEFAULT_URL. The table lives beside the relay's own unit
// tests (relay/test/content/lib/hostile-xml.ts), because relay/ is deployable alone and never
// imports suites/: this module is its one door for suites.
export {
  DEFAULT_URL,
  HOSTILE_XML,
  XML_ATTACKS,
  hostileXmlOf,
  type HostileLimits,
  type HostileXml,
  type HostileXmlContext,
  type XmlAttack,
} from '../../../relay/test/content/lib/hostile-xml';
