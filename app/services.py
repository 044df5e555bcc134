"""Wiring: builds the services from the settings once, for the server and the command line alike."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.chain.facts import stamp_facts
from app.chain.links import receives_catalog
from app.chain.upgrade import migrate_member
from app.config import Settings
from app.db import make_engine, session_factory
from app.design_queue import DesignQueue
from app.designers.accounts import DesignerAccounts
from app.designers.intake import Intake, IntakePipeline
from app.designers.submissions import Submissions
from app.designers.versions import VersionedCatalog, seed_demo_templates
from app.designs.catalog import load_catalog
from app.designs.pictures import Pictures
from app.fleet import Fleet
from app.jobs import JobService
from app.kiosks import Kiosks
from app.pipeline import Pipeline
from app.production.cnc import CncMaterial, load_cnc_materials
from app.production.laser import LaserMaterial, load_laser_materials
from app.staff import StaffAccounts
from app.store import StoreOps
from machine_adapters.profiles import MachineProfile, load_machines


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    machines: dict[str, MachineProfile]
    catalog: VersionedCatalog  # the newest published version of each template offered in this store's city
    laser_materials: dict[str, LaserMaterial]
    cnc_materials: dict[str, CncMaterial]
    pipeline: Pipeline
    staff: StaffAccounts
    kiosks: Kiosks  # the kiosk devices staff paired, and the machines each stands beside
    designers: DesignerAccounts  # designers' invitations and profiles
    submissions: Submissions  # designers' templates: intake checks, review, publishing
    fleet: Fleet | None = None  # the machines at run time; the server builds it, command-line tools need none
    jobs: JobService | None = None  # customers' jobs on the fleet; built with it
    store: StoreOps | None = None  # every action on jobs and machines, checked and audited; built with the jobs
    pictures: Pictures | None = None  # drawings of parts for catalog and share cards; the server draws them
    design_queue: DesignQueue | None = None  # customers' renders and slices, fair and cancellable; built with the jobs

    def run_machines(self, fleet: Fleet) -> JobService:
        """Take the machines into service: jobs follow them, and jobs they no longer report are held."""
        self.fleet = fleet
        self.jobs = JobService(self.settings, self.sessions, fleet)
        self.pipeline.loaded_material = self.jobs.machine_settings.loaded_material
        self.store = StoreOps(self.jobs, self.staff, self.kiosks)
        self.design_queue = DesignQueue()
        return self.jobs


def build_services(settings: Settings) -> Services:
    """Load and check everything a bad file could break, migrate the database, then build the services."""
    machines = load_machines(settings.machines_file)
    load_catalog(settings.templates_dir)  # the shipped templates are checked at start, as any file a store edits
    laser_materials = load_laser_materials(settings.assets_dir / "laser_materials.toml")
    cnc_materials = load_cnc_materials(settings.assets_dir / "cnc_materials.toml")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    migrate_member(engine, settings.chain)  # in a chain, in the chain's order (app/chain/upgrade.py)
    sessions = session_factory(engine)
    # a standalone store owns its catalog: the shipped templates are its first versions (a chain's stores receive
    # theirs from the head office)
    owns_catalog = not receives_catalog(engine, settings.chain)
    if owns_catalog:
        seed_demo_templates(sessions, settings.templates_dir)
    # the head office offers every version wherever it is offered; a store, those offered in its city
    city = None if settings.chain.role == "hq" else settings.store.city
    catalog = VersionedCatalog(sessions, settings.data_dir / "templates", city)
    stamp_facts(sessions, settings.chain.store_id, machines)
    pipeline = Pipeline(settings, machines, catalog, laser_materials, cnc_materials, sessions)
    staff = StaffAccounts(sessions, settings.staff, store=settings.chain.store_id)
    kiosks = Kiosks(sessions, machines)
    designers = DesignerAccounts(sessions, staff, settings.data_dir / "portraits")
    intake_pipeline = IntakePipeline(settings, machines, catalog, laser_materials, cnc_materials, sessions)
    intake = Intake(
        intake_pipeline, Pictures(settings.cache_dir, catalog, settings.render_timeout_s), settings.render_timeout_s
    )
    submissions = Submissions(sessions, catalog, intake, settings.designers, owns_catalog=owns_catalog)
    return Services(
        settings,
        engine,
        sessions,
        machines,
        catalog,
        laser_materials,
        cnc_materials,
        pipeline,
        staff,
        kiosks,
        designers,
        submissions,
    )
