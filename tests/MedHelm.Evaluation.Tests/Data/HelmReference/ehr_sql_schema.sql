-- A small eICU-shaped database the EHRSQL reference cases run on (HELM's annotator and MedHelm alike).
CREATE TABLE patient (uniquepid TEXT, patientunitstayid INTEGER, gender TEXT, age TEXT, admissionweight REAL);
INSERT INTO patient VALUES ('002-1', 1, 'female', '67', 70.5), ('002-2', 2, 'male', '45', 80.0),
  ('002-3', 3, 'male', '> 89', NULL), ('002-4', 4, 'female', '30', 62.0);
CREATE TABLE medication (patientunitstayid INTEGER, drugname TEXT, routeadmin TEXT, dosage TEXT);
INSERT INTO medication VALUES (1, 'aspirin', 'po', '81 mg'), (1, 'heparin', 'iv', '5000 units'),
  (2, 'aspirin', 'po', '325 mg'), (3, 'insulin', 'sc', '10 units');
